"""Caption lengths per network on strings where naive counting goes wrong."""

from __future__ import annotations

import pytest
import twitter_text

from chorus.lib.text_metrics import (
    NETWORKS,
    LengthCheck,
    caption_length,
    check_all,
    check_caption,
    extract_hashtags,
    extract_mentions,
    limit_for,
)

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👩‍👩‍👧‍👦, 7 code points
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"  # 🏳️‍🌈, 4 code points
FLAGS_FR_GB = "\U0001f1eb\U0001f1f7\U0001f1ec\U0001f1e7"  # 🇫🇷🇬🇧, two regional-indicator pairs
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽, emoji + skin tone modifier
LONG_URL = "https://example.com/" + "a" * 180
assert len(LONG_URL) == 200

# (label, text, X weighted, Bluesky graphemes, Mastodon, LinkedIn code points). Worked out
# by hand: X counts Latin letters 1, CJK and each emoji (even a ZWJ sequence) 2, any URL
# (bare domains too) 23; Bluesky counts what a reader sees as one character and URLs in
# full; Mastodon counts graphemes with each http(s) URL as 23 and "@user@server" as "@user".
CASES = [
    ("ascii", "Hello world", 11, 11, 11, 11),
    ("zwj family", FAMILY, 2, 1, 1, 7),
    ("rainbow flag", RAINBOW_FLAG, 2, 1, 1, 4),
    ("two flags", FLAGS_FR_GB, 4, 2, 2, 4),
    ("skin tone", THUMBS_UP_MEDIUM, 2, 1, 1, 2),
    # 8 characters (3 kanji, 1 hiragana, 4 katakana), each weighted 2 on X.
    ("cjk", "日本語のテキスト", 16, 8, 8, 8),
    ("french nfc", "Caf\u00e9 cr\u00e8me \u00e0 Montr\u00e9al", 21, 21, 21, 21),
    # Decomposed accents: 25 code points as typed, 21 once normalised to NFC.
    ("french nfd", "Cafe\u0301 cre\u0300me a\u0300 Montre\u0301al", 21, 21, 21, 21),
    # "Read " + a 21-character URL.
    ("short url", "Read https://example.com/a", 5 + 23, 26, 5 + 23, 26),
    ("200-char url", LONG_URL, 23, 200, 23, 200),
    # "See " + 16-char t.co URL + " and " + 37-char URL.
    (
        "two urls",
        "See https://t.co/abc and http://example.org/very/long/path?x=1",
        4 + 23 + 5 + 23,
        62,
        4 + 23 + 5 + 23,
        62,
    ),
    # X links a bare domain (23); Mastodon only shortens URLs with a scheme.
    ("bare domain", "Visit example.com today", 6 + 23 + 6, 23, 23, 23),
    ("hashtags", "#\u00e9t\u00e9 #Python2025 #1", 19, 19, 19, 19),
    # Mastodon counts a remote mention as "@alice": "Hi @alice!" is 10.
    ("remote mention", "Hi @alice@mastodon.social!", 26, 26, 10, 26),
    # The example from twitter-text's own documentation: 13 + 6 + 1 + 2 + 1 + 23.
    ("mixed", "english text 日本語 \U0001f637 https://example.com", 46, 38, 42, 38),
]


@pytest.mark.parametrize(
    ("text", "x", "bluesky", "mastodon", "linkedin"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_lengths_per_network(text: str, x: int, bluesky: int, mastodon: int, linkedin: int):
    assert twitter_text.parse_tweet(text).weightedLength == x
    assert caption_length(text, "x") == x
    assert caption_length(text, "bluesky") == bluesky
    assert caption_length(text, "mastodon") == mastodon
    assert caption_length(text, "linkedin") == linkedin
    assert caption_length(text, "facebook") == linkedin


def test_composed_and_decomposed_accents_count_the_same_everywhere():
    composed, decomposed = "\u00e9t\u00e9", "e\u0301te\u0301"
    assert len(decomposed) == 5
    for network in NETWORKS:
        assert caption_length(decomposed, network) == caption_length(composed, network) == 3


def test_windows_line_breaks_count_as_one_character():
    assert caption_length("a\r\nb", "linkedin") == caption_length("a\nb", "linkedin") == 3


@pytest.mark.parametrize(
    ("network", "unit", "limit"),
    [
        ("x", "a", 280),
        ("x", "\u65e5", 280),  # 日 weighs 2: 140 of them
        ("x", THUMBS_UP_MEDIUM, 280),  # 140 emoji of weight 2, modifier included
        ("bluesky", "a", 300),
        ("bluesky", "e\u0301", 300),  # one grapheme, whichever normal form
        ("bluesky", "\U0001f1eb\U0001f1f7", 300),  # a flag is one grapheme
        ("mastodon", "a", 500),
        ("mastodon", FAMILY, 500),
        ("linkedin", "a", 3000),
        ("facebook", "a", 63206),
    ],
)
def test_fits_flips_exactly_at_the_limit(network: str, unit: str, limit: int):
    weight = caption_length(unit, network)
    at_limit = unit * (limit // weight)
    assert check_caption(at_limit, network) == LengthCheck(
        network=network, length=limit, limit=limit, fits=True, remaining=0
    )
    over = check_caption(at_limit + "a", network)
    assert (over.length, over.fits, over.remaining) == (limit + 1, False, -1)


def test_x_limit_with_a_url_counts_the_url_as_23():
    text = LONG_URL + " " + "a" * 256
    assert check_caption(text, "x").fits
    assert check_caption(text + "a", "x").remaining == -1


def test_mastodon_counts_a_long_url_as_23():
    text = LONG_URL + " " + "a" * 476
    assert check_caption(text, "mastodon") == LengthCheck("mastodon", 500, 500, True, 0)
    assert not check_caption(text + "a", "mastodon").fits


def test_mastodon_server_limit_replaces_the_default():
    assert check_caption("a" * 501, "mastodon", limit=1000).fits
    assert check_caption("a" * 501, "mastodon", limit=1000).remaining == 499
    assert not check_all("a" * 501, limits={"mastodon": 500})["mastodon"].fits


def test_bluesky_also_caps_text_at_3000_bytes():
    # Each family emoji is one grapheme but 25 UTF-8 bytes: 120 of them are 3000 bytes.
    assert len((FAMILY * 120).encode()) == 3000
    assert check_caption(FAMILY * 120, "bluesky").fits
    too_heavy = check_caption(FAMILY * 121, "bluesky")
    assert (too_heavy.length, too_heavy.fits) == (121, False)


def test_check_all_measures_every_network():
    checks = check_all(LONG_URL)
    assert list(checks) == list(NETWORKS)
    assert {name: check.length for name, check in checks.items()} == {
        "linkedin": 200,
        "x": 23,
        "mastodon": 23,
        "bluesky": 200,
        "facebook": 200,
    }
    assert all(check.fits for check in checks.values())


def test_limits():
    assert {network: limit_for(network) for network in NETWORKS} == {
        "linkedin": 3000,
        "x": 280,
        "mastodon": 500,
        "bluesky": 300,
        "facebook": 63206,
    }


def test_unknown_network_is_refused():
    with pytest.raises(ValueError, match="myspace"):
        caption_length("hi", "myspace")
    with pytest.raises(ValueError, match="myspace"):
        check_caption("hi", "myspace")
    with pytest.raises(ValueError, match="myspace"):
        limit_for("myspace")
    with pytest.raises(ValueError, match="myspace"):
        check_all("hi", limits={"myspace": 10})


def test_extract_hashtags():
    text = (
        "Fête de l'#e\u0301te\u0301 #été #Été #Python2025 #1 #日本語 "
        "https://example.com/page#section l'#ok &#39; mail#not"
    )
    assert extract_hashtags(text) == ["\u00e9t\u00e9", "Python2025", "日本語", "ok"]


def test_extract_mentions():
    text = (
        "Thanks @alice, @bob@mastodon.social and @carol.bsky.social. "
        "Write to dave@example.com or @Alice again."
    )
    assert extract_mentions(text) == ["alice", "bob@mastodon.social", "carol.bsky.social"]
