"""Parsing fetched RSS, Atom and JSON feeds into entries Chorus can share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chorus.lib.syndication import FeedEntry, FeedParseError, html_to_text, parse_feed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_rss20():
    feed = parse_feed(
        fixture("rss20.xml"),
        url="https://blog.acme.example/feed.xml",
        content_type="application/rss+xml; charset=utf-8",
    )
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "rss20",
        "Acme Engineering Blog",
        "https://blog.acme.example/",
        "en-us",
    )
    assert feed.entries == [
        FeedEntry(
            guid="acme-post-1042",
            url="https://blog.acme.example/2025/03/onboarding",
            title="Shipping our new onboarding flow",
            # Tags and the <script> gone, paragraphs kept apart, &amp; and &nbsp; decoded.
            summary="We rebuilt onboarding from scratch. "
            "Here is what we learned & why it took six weeks.",
            # "Tue, 04 Mar 2025 09:30:00 +0100"
            published_at=datetime(2025, 3, 4, 8, 30, tzinfo=UTC),
            image_url="https://cdn.acme.example/img/onboarding.jpg",
            language="en-us",
        ),
        FeedEntry(
            # No <guid>: the link identifies the entry, resolved like the link itself.
            guid="https://blog.acme.example/2025/01/year-in-review",
            url="https://blog.acme.example/2025/01/year-in-review",
            title="Our 2024 year in review",
            summary="Twelve months, four launches and one very long migration.",
            published_at=datetime(2025, 1, 10, 16, 0, tzinfo=UTC),
            image_url="",
            language="en-us",
        ),
        FeedEntry(
            guid="https://blog.acme.example/podcast/7",
            url="https://blog.acme.example/podcast/7",
            title="Podcast: scaling the search team",
            summary="Episode 7 with our search lead.",
            # "Mon, 16 Dec 2024 08:00:00 -0500"
            published_at=datetime(2024, 12, 16, 13, 0, tzinfo=UTC),
            # The audio enclosure is not an image; the media:thumbnail is.
            image_url="https://cdn.acme.example/img/ep7-cover.png",
            language="en-us",
        ),
    ]


def test_rss10():
    feed = parse_feed(fixture("rss10.rdf"), url="https://news.example.org/rss")
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "rss10",
        "Example Science News",
        "https://news.example.org/",
        "en-gb",
    )
    assert [(entry.guid, entry.title, entry.published_at) for entry in feed.entries] == [
        (
            "https://news.example.org/articles/42",
            "Bees recognise faces, study finds",
            datetime(2025, 2, 10, 14, 0, tzinfo=UTC),
        ),
        (
            "https://news.example.org/articles/41",
            "A new map of the ocean floor",
            # dc:date "2025-02-08T09:15:00+01:00"
            datetime(2025, 2, 8, 8, 15, tzinfo=UTC),
        ),
    ]


def test_atom10_with_languages_html_title_and_relative_link():
    feed = parse_feed(
        fixture("atom10.xml"),
        url="https://www.chorus.example/fr/blog/atom.xml",
        content_type="application/atom+xml",
    )
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "atom10",
        "Le blog de l'\u00e9quipe Chorus",
        "https://www.chorus.example/fr/blog/",
        "fr",
    )
    first, second = feed.entries
    assert first == FeedEntry(
        guid="tag:chorus.example,2025:post-12",
        url="https://www.chorus.example/fr/blog/planification",
        title="Nouveaut\u00e9s de mars : la planification des publications",
        summary="Programmez vos publications \u00e0 l'avance.",
        published_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        image_url="https://www.chorus.example/media/planification.png",
        language="fr",
    )
    assert second == FeedEntry(
        guid="tag:chorus.example,2025:post-11",
        url="https://www.chorus.example/fr/blog/mastodon",
        title="Chorus & the fediverse",
        summary="Chorus now posts to Mastodon.",
        # No <published>: <updated> is the best date there is.
        published_at=datetime(2025, 2, 14, 12, 30, tzinfo=UTC),
        image_url="",
        language="en",
    )


def test_json_feed():
    feed = parse_feed(
        fixture("feed.json"),
        url="https://notes.example.net/feed.json",
        content_type="application/feed+json",
    )
    assert (feed.format, feed.title, feed.site_url, feed.language) == (
        "json",
        "Field Notes",
        "https://notes.example.net/",
        "en-GB",
    )
    assert feed.entries == [
        FeedEntry(
            guid="https://notes.example.net/2025/03/hiring",
            url="https://notes.example.net/2025/03/hiring",
            title="We are hiring a platform engineer",
            summary="Join a small team. Remote-friendly & four-day weeks.",
            published_at=datetime(2025, 3, 3, 7, 0, tzinfo=UTC),
            image_url="https://notes.example.net/images/hiring.jpg",
            language="en",
        ),
        FeedEntry(
            guid="2",
            url="https://www.example.com/report-2025",
            title="Worth reading: the 2025 remote work report",
            summary="The report, summarised in one line.",
            published_at=datetime(2025, 2, 20, 18, 45, tzinfo=UTC),
            image_url="https://notes.example.net/images/report-banner.png",
            language="en-GB",
        ),
    ]


def test_json_feed_is_recognised_without_a_json_content_type():
    feed = parse_feed(fixture("feed.json"), url="https://notes.example.net/feed.json")
    assert feed.format == "json"
    assert len(feed.entries) == 2


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml; charset=ISO-8859-1",
        # No charset: the XML declaration says ISO-8859-1.
        "",
        # RFC 3023 would read text/xml as US-ASCII; feedparser falls back to the declaration.
        "text/xml",
    ],
)
def test_latin1_feed_keeps_its_accents(content_type: str):
    body = fixture("latin1.xml")
    assert "\u00c9v\u00e9nement".encode("latin-1") in body
    feed = parse_feed(body, url="https://actualites.example.ca/rss", content_type=content_type)
    assert feed.title == "Actualit\u00e9s de Qu\u00e9bec"
    assert feed.language == "fr-ca"
    [entry] = feed.entries
    assert entry.title == "\u00c9v\u00e9nement \u00e0 Montr\u00e9al"
    assert entry.summary == "Fête de la musique : concerts gratuits près du Vieux-Port, çà et là."
    assert entry.published_at == datetime(2025, 6, 21, 18, 0, tzinfo=UTC)


def test_encoding_argument_overrides_a_wrong_header():
    feed = parse_feed(
        fixture("latin1.xml"),
        url="https://actualites.example.ca/rss",
        content_type="application/rss+xml; charset=utf-8",
        encoding="iso-8859-1",
    )
    assert feed.entries[0].title == "\u00c9v\u00e9nement \u00e0 Montr\u00e9al"


def test_undeclared_utf8_feed_keeps_non_ascii_links():
    body = (
        '<rss version="2.0"><channel><title>Caf\u00e9</title><item><title>Cr\u00e8me</title>'
        "<link>https://e.example/cr\u00e8me</link>"
        '<enclosure url="https://e.example/cr\u00e8me.jpg" type="image/jpeg"/>'
        "</item></channel></rss>"
    ).encode()
    [entry] = parse_feed(body, url="https://e.example/feed").entries
    assert entry.title == "Cr\u00e8me"
    assert entry.image_url == "https://e.example/cr\u00e8me.jpg"


def test_entries_without_a_web_link_are_skipped():
    body = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>Script</title><link>javascript:alert(1)</link></item>
      <item><title>Nothing</title></item>
      <item><title>Mail</title><link>mailto:team@e.example</link></item>
      <item><title>Kept</title><link>kept</link></item>
    </channel></rss>"""
    feed = parse_feed(body, url="https://e.example/blog/feed", content_type="application/xml")
    assert [(entry.title, entry.url) for entry in feed.entries] == [
        ("Kept", "https://e.example/blog/kept")
    ]


def test_long_summary_is_cut_between_words():
    body = (
        '<rss version="2.0"><channel><title>T</title><item><title>Long</title>'
        "<link>https://e.example/long</link>"
        f"<description>{'<p>word </p>' * 400}</description>"
        "</item></channel></rss>"
    ).encode()
    [entry] = parse_feed(body, url="https://e.example/feed").entries
    assert len(entry.summary) <= 1000
    assert entry.summary.endswith("word\u2026")
    assert "<" not in entry.summary


def test_feed_broken_after_some_entries_keeps_them():
    body = fixture("rss20.xml")
    truncated = body[: body.index(b"<title>Podcast")]
    feed = parse_feed(truncated, url="https://blog.acme.example/feed.xml")
    assert [entry.guid for entry in feed.entries] == [
        "acme-post-1042",
        "https://blog.acme.example/2025/01/year-in-review",
    ]


def test_valid_feed_without_entries_is_not_an_error():
    body = b'<rss version="2.0"><channel><title>Quiet blog</title></channel></rss>'
    feed = parse_feed(body, url="https://e.example/feed", content_type="application/rss+xml")
    assert (feed.title, feed.entries) == ("Quiet blog", [])


def test_malformed_feed_is_refused():
    with pytest.raises(FeedParseError, match="not a valid RSS, Atom or JSON feed") as caught:
        parse_feed(fixture("malformed.xml"), url="https://e.example/rss")
    assert "line 4" in str(caught.value)


def test_feed_cut_short_after_its_title_is_refused():
    body = fixture("rss20.xml")
    truncated = body[: body.index(b"<item>")]
    with pytest.raises(FeedParseError, match="not a valid RSS, Atom or JSON feed"):
        parse_feed(truncated, url="https://blog.acme.example/feed.xml")


def test_web_page_is_refused_and_its_feed_is_named():
    with pytest.raises(FeedParseError, match="is a web page, not") as caught:
        parse_feed(
            fixture("page.html"),
            url="https://blog.acme.example/",
            content_type="text/html; charset=utf-8",
        )
    assert caught.value.feed_urls == ("https://blog.acme.example/feed.xml",)
    assert "https://blog.acme.example/feed.xml" in str(caught.value)


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_empty_body_is_refused(body: bytes):
    with pytest.raises(FeedParseError, match="empty"):
        parse_feed(body, url="https://e.example/feed")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"error": "not found"}', "application/json"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": ', "application/feed+json"),
        (b"<note><to>Tove</to></note>", "application/xml"),
        (b"just some text", "text/plain"),
    ],
)
def test_other_documents_are_refused(body: bytes, content_type: str):
    with pytest.raises(FeedParseError, match="not a valid RSS, Atom or JSON feed"):
        parse_feed(body, url="https://e.example/feed", content_type=content_type)


def test_body_naming_a_local_file_is_parsed_as_text_not_opened(tmp_path: Path):
    # feedparser opens a bytes argument that names a file; the parser must never do that.
    local_file = tmp_path / "feed.xml"
    local_file.write_bytes(fixture("rss20.xml"))
    with pytest.raises(FeedParseError):
        parse_feed(str(local_file).encode(), url="https://e.example/feed")


def test_html_to_text():
    html = '<h1>Title</h1><p>A <a href="/x">link</a>&nbsp;&amp; <b>bold</b>.</p><style>p{}</style>'
    assert html_to_text(html) == "Title A link & bold."
