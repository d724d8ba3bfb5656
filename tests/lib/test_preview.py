"""Link previews from real-world-shaped HTML, and one fetch from a local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from chorus.lib.preview import Preview, fetch_preview, parse_preview
from chorus.lib.safe_fetch import FetchError
from tests.lib.test_safe_fetch import Handler, LocalServer, redirect

PAGE_URL = "https://news.example.com/blog/2026/launch/"


def test_open_graph_comes_first() -> None:
    html = b"""<!doctype html>
    <html lang="en-GB"><head>
      <title>Launch | News</title>
      <meta name="description" content="Plain description">
      <meta name="twitter:title" content="Twitter title">
      <meta property="og:title" content="  We launched\n   Chorus  ">
      <meta property="og:description" content="Everything about the launch.">
      <meta property="og:image" content="https://cdn.example.com/launch.png">
      <meta property="og:site_name" content="Example News">
    </head><body><p>Hello</p></body></html>"""

    assert parse_preview(html, PAGE_URL) == Preview(
        url=PAGE_URL,
        title="We launched Chorus",
        description="Everything about the launch.",
        image_url="https://cdn.example.com/launch.png",
        site_name="Example News",
        language="en",
    )


def test_twitter_card_only() -> None:
    html = b"""<html><head>
      <meta name="twitter:card" content="summary_large_image">
      <meta name="twitter:title" content="Card title">
      <meta name="twitter:description" content="Card description">
      <meta name="twitter:image" content="/images/card.jpg">
    </head></html>"""

    preview = parse_preview(html, PAGE_URL)

    assert preview.title == "Card title"
    assert preview.description == "Card description"
    assert preview.image_url == "https://news.example.com/images/card.jpg"
    assert preview.site_name == "news.example.com"
    assert preview.language == ""


def test_plain_title_and_meta_description() -> None:
    html = b"""<html lang="FR-ca"><head>
      <title>
        Notre   lancement
      </title>
      <meta name="Description" content="Tout sur le lancement.">
    </head><body></body></html>"""

    preview = parse_preview(html, PAGE_URL)

    assert preview.title == "Notre lancement"
    assert preview.description == "Tout sur le lancement."
    assert preview.image_url == ""
    assert preview.language == "fr"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("cover.png", "https://news.example.com/blog/2026/launch/cover.png"),
        ("../../img/cover.png", "https://news.example.com/blog/img/cover.png"),
        ("/img/cover.png", "https://news.example.com/img/cover.png"),
        ("//cdn.example.com/cover.png", "https://cdn.example.com/cover.png"),
        ("https://cdn.example.com/co\n  ver.png", "https://cdn.example.com/cover.png"),
        ("javascript:alert(1)", ""),
        ("data:image/png;base64,iVBORw0KGgo=", ""),
        ("ftp://files.example.com/cover.png", ""),
    ],
)
def test_image_url_is_made_absolute_and_http(image: str, expected: str) -> None:
    html = f'<html><head><meta property="og:image" content="{image}"></head></html>'

    assert parse_preview(html.encode(), PAGE_URL).image_url == expected


def test_image_falls_back_to_the_next_usable_source() -> None:
    html = b"""<html><head>
      <meta property="og:image" content="javascript:void(0)">
      <meta name="twitter:image" content="/card.png">
    </head></html>"""

    assert parse_preview(html, PAGE_URL).image_url == "https://news.example.com/card.png"


def test_base_href_is_honoured() -> None:
    html = b"""<html><head><base href="https://static.example.com/assets/">
      <meta property="og:image" content="cover.png"></head></html>"""

    assert parse_preview(html, PAGE_URL).image_url == "https://static.example.com/assets/cover.png"


def test_iso_8859_1_declared_in_a_meta_tag() -> None:
    html = (
        '<html><head><meta charset="ISO-8859-1"><title>Café crème</title>'
        '<meta property="og:description" content="Déjà vu à Genève"></head></html>'
    ).encode("iso-8859-1")

    preview = parse_preview(html, PAGE_URL)

    assert preview.title == "Café crème"
    assert preview.description == "Déjà vu à Genève"


def test_encoding_from_the_http_header_wins() -> None:
    # The page claims UTF-8 but the server says Latin-1, and the bytes are Latin-1.
    html = '<html><head><meta charset="utf-8"><title>Säge</title></head></html>'.encode("latin-1")

    assert parse_preview(html, PAGE_URL, encoding="iso-8859-1").title == "Säge"


@pytest.mark.parametrize(
    "html",
    [
        b"<html><head><title>Half <meta property='og:title' content='Broken'><body><div><p>",
        b"<meta property=og:title content=Unquoted><p>no html element at all",
        b"\xff\xfe\x00garbage <<< >>> </title></head>",
        b"",
        b"<html><head><title>Bad bytes \xe9\xff here</title></head></html>",
    ],
)
def test_broken_html_does_not_crash(html: bytes) -> None:
    preview = parse_preview(html, PAGE_URL)

    assert preview.url == PAGE_URL
    assert preview.site_name == "news.example.com"


def test_broken_html_still_yields_what_it_can() -> None:
    html = b"<head><meta property=og:title content=Unquoted><title>Unclosed"

    assert parse_preview(html, PAGE_URL).title == "Unquoted"


def test_long_fields_are_trimmed() -> None:
    html = (
        f'<html><head><meta property="og:title" content="{"word " * 200}">'
        f'<meta property="og:description" content="{"x" * 5000}"></head></html>'
    ).encode()

    preview = parse_preview(html, PAGE_URL)

    assert len(preview.title) == 299  # 300 characters, less the space cut at the end
    assert preview.title.startswith("word word")
    assert len(preview.description) == 1000


@pytest.mark.parametrize(
    ("lang", "language"), [("de", "de"), ("pt_BR", "pt"), ("fil", ""), ("", ""), ("x", "")]
)
def test_language_from_the_html_element(lang: str, language: str) -> None:
    html = f'<html lang="{lang}"><head><title>t</title></head></html>'.encode()

    assert parse_preview(html, PAGE_URL).language == language


@pytest.fixture
def site() -> Iterator[LocalServer]:
    server = LocalServer({})
    yield server
    server.stop()


def _article(handler: Handler) -> None:
    body = (
        '<html lang="fr"><head><title>Réunion annuelle</title>'
        '<meta property="og:image" content="cover.png"></head><body>Bienvenue</body></html>'
    ).encode("iso-8859-1")
    handler.reply(200, body, {"Content-Type": "text/html; charset=ISO-8859-1"})


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_fetch_preview(site: LocalServer) -> None:
    site.routes["/old"] = redirect("/articles/annual-meeting", 301)
    site.routes["/articles/annual-meeting"] = _article

    preview = fetch_preview(site.url("/old"))

    assert preview == Preview(
        url=site.url("/articles/annual-meeting"),
        title="Réunion annuelle",
        description="",
        # Relative to the page the redirect led to, not to the link that was shared.
        image_url=site.url("/articles/cover.png"),
        site_name="127.0.0.1",
        language="fr",
    )
    assert site.requests[-1].headers["accept"] == "text/html, application/xhtml+xml"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_fetch_preview_refuses_what_is_not_a_page(site: LocalServer) -> None:
    site.routes["/file.pdf"] = lambda handler: handler.reply(
        200, b"%PDF-1.7", {"Content-Type": "application/pdf"}
    )

    with pytest.raises(FetchError) as caught:
        fetch_preview(site.url("/file.pdf"))

    assert caught.value.code == "bad_content_type"


def test_fetch_preview_keeps_the_guard(site: LocalServer) -> None:
    site.routes["/"] = _article

    with pytest.raises(FetchError) as caught:
        fetch_preview(site.url("/"))

    assert caught.value.code == "blocked_address"
    assert site.connections == []
