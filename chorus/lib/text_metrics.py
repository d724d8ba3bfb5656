"""Caption length as each social network counts it, and the hashtags and mentions in it.

Every network measures a post differently, and an ambassador only notices when a post is
refused (or silently cut), so each rule below follows what the network's own code does:

- X: weighted length from twitter-text v3 (most Latin letters 1, CJK and emoji 2, any URL
  23, also a bare "example.com"), limit 280.
- Bluesky: grapheme clusters (what a reader sees as one character), URLs counted in full,
  limit 300; the record's text is also capped at 3000 UTF-8 bytes (lexicon
  ``app.bsky.feed.post``: ``maxGraphemes: 300, maxLength: 3000``).
- Mastodon: grapheme clusters like Bluesky (``StatusLengthValidator`` uses Ruby's
  ``each_grapheme_cluster``), but each http(s) URL counts 23 and a remote mention
  ``@user@server`` counts as ``@user``; default limit 500, which each server may change
  (``/api/v2/instance``), hence the ``limit`` override.
- LinkedIn (3000) and Facebook (63206): characters, i.e. code points.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import regex

with warnings.catch_warnings():
    # twitter-text-parser still imports pkg_resources; its deprecation notice is not ours.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import twitter_text

NETWORKS = ("linkedin", "x", "mastodon", "bluesky", "facebook")

DEFAULT_LIMITS: dict[str, int] = {
    "linkedin": 3000,
    "x": 280,
    "mastodon": 500,
    "bluesky": 300,
    "facebook": 63206,
}

# Mastodon's `characters_reserved_per_url` default; X's t.co length happens to be the same.
MASTODON_URL_LENGTH = 23
BLUESKY_MAX_BYTES = 3000

_GRAPHEME = regex.compile(r"\X")
_LINE_BREAKS = regex.compile(r"\r\n?")

# Mastodon's Account::MENTION_RE: "@user" optionally followed by "@server". Only the
# "@user" part counts towards the limit. The `regex` module's \w, like Ruby's [[:word:]],
# includes combining marks.
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w+)?",
    regex.IGNORECASE,
)

# A hashtag needs at least one letter ("#1" is a list item, not a tag) and must not be
# glued to a word or sit inside a URL ("page#section", "/#top") or an entity ("&#39;").
_HASHTAG = regex.compile(r"(?<![\w&/#])#(\w*\p{L}\w*)")
# "@alice", "@handle.bsky.social" (Bluesky), "@alice@mastodon.social" (Mastodon). The
# lookbehind keeps e-mail addresses out; a trailing dot ends the sentence, not the handle.
_MENTION = regex.compile(r"(?<![\w@/.+-])@(\w+(?:[.-]\w+)*(?:@\w+(?:[.-]\w+)*)?)")


@dataclass(frozen=True)
class LengthCheck:
    """How long a caption is for one network and whether it fits that network's limit."""

    network: str
    length: int
    limit: int
    fits: bool
    remaining: int


def normalize_caption(text: str) -> str:
    """Return the caption in the form it is measured in (NFC, "\\n" line breaks).

    The same visible text can reach us composed ("é", U+00E9) or decomposed ("e" + U+0301,
    as macOS and some keyboards produce); counted as code points the second is longer, so a
    caption would "fit" or not depending on the ambassador's keyboard. NFC makes both one
    code point, which is also what X counts (twitter-text normalises to NFC first).
    Browsers submit textarea line breaks as "\\r\\n" while their own counters see "\\n", so
    both become "\\n". Publish this normalised text so the network counts what we counted.
    """
    return _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))


def limit_for(network: str) -> int:
    """Return the network's default caption limit in its own unit of length."""
    _check_network(network)
    return DEFAULT_LIMITS[network]


def caption_length(text: str, network: str) -> int:
    """Return the caption's length as the network counts it."""
    _check_network(network)
    text = normalize_caption(text)
    if network == "x":
        return twitter_text.parse_tweet(text).weightedLength
    if network == "bluesky":
        return _grapheme_count(text)
    if network == "mastodon":
        return _grapheme_count(_mastodon_countable_text(text))
    # LinkedIn and Facebook publish no counting rule; their limits are given in characters.
    return len(text)


def check_caption(text: str, network: str, *, limit: int | None = None) -> LengthCheck:
    """Measure the caption for one network against its limit.

    ``limit`` replaces the default, e.g. a Mastodon server's own ``max_characters``.
    ``remaining`` is negative when the caption is too long. On Bluesky a caption also fails
    to fit when its text exceeds the record's 3000-byte cap, which only dense emoji reach
    (a family emoji is one grapheme but 25 bytes).
    """
    length = caption_length(text, network)
    if limit is None:
        limit = DEFAULT_LIMITS[network]
    fits = length <= limit
    if network == "bluesky":
        fits = fits and len(normalize_caption(text).encode()) <= BLUESKY_MAX_BYTES
    return LengthCheck(
        network=network, length=length, limit=limit, fits=fits, remaining=limit - length
    )


def check_all(text: str, *, limits: Mapping[str, int] | None = None) -> dict[str, LengthCheck]:
    """Measure the caption for every network, keyed by network name."""
    limits = limits or {}
    for network in limits:
        _check_network(network)
    return {
        network: check_caption(text, network, limit=limits.get(network)) for network in NETWORKS
    }


def extract_hashtags(text: str) -> list[str]:
    """Return the hashtags in the caption, without "#", once each, in order of appearance."""
    return _unique(match.group(1) for match in _HASHTAG.finditer(normalize_caption(text)))


def extract_mentions(text: str) -> list[str]:
    """Return the mentioned handles without the leading "@", once each, in order.

    Handles keep their server part: "alice@mastodon.social", "bob.bsky.social".
    """
    return _unique(match.group(1) for match in _MENTION.finditer(normalize_caption(text)))


def _check_network(network: str) -> None:
    if network not in DEFAULT_LIMITS:
        raise ValueError(f"Unknown network {network!r}; expected one of {', '.join(NETWORKS)}")


def _grapheme_count(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def _mastodon_countable_text(text: str) -> str:
    """Rewrite the text the way Mastodon does before counting: URLs, then short mentions."""
    # Mastodon extracts URLs with twitter-text too, but only those with a scheme.
    entities: list[tuple[int, int, str]] = [
        (start, end, "x" * MASTODON_URL_LENGTH)
        for start, end in (
            entity["indices"]
            for entity in twitter_text.extract_urls_with_indices(
                text, extract_urls_without_protocol=False
            )
        )
    ]
    entities += [
        (match.start(), match.end(), "@" + match.group("user"))
        for match in _MASTODON_MENTION.finditer(text)
    ]
    # Like Mastodon's remove_overlapping_entities: the earliest entity wins, so the "@bob"
    # in "https://example.com/@bob" stays part of the URL.
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(entities):
        if start < position:
            continue
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
