"""Link previews: the title, description and image a page declares for sharing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from metadata_parser import MetadataParser
from metadata_parser.exceptions import InvalidDocument, NotParsable
from w3lib.encoding import html_to_unicode

from chorus.lib.safe_fetch import fetch

PREVIEW_MAX_BYTES = 1_048_576
TITLE_MAX_LENGTH = 300
DESCRIPTION_MAX_LENGTH = 1000

# Where each field is looked for, best first: Open Graph, then Twitter cards, then the
# page itself. metadata_parser files <meta property="og:x"> under "og" and
# <meta name="twitter:x"> under "twitter"; pages that swap the two attributes (common)
# only land in "meta", under the full name, hence those fallbacks.
TITLE_SOURCES = (
    ("og", "title"),
    ("meta", "og:title"),
    ("twitter", "title"),
    ("meta", "twitter:title"),
    ("page", "title"),
    ("meta", "title"),
)
DESCRIPTION_SOURCES = (
    ("og", "description"),
    ("meta", "og:description"),
    ("twitter", "description"),
    ("meta", "twitter:description"),
    ("meta", "description"),
)
IMAGE_SOURCES = (
    ("og", "image"),
    ("og", "image:url"),
    ("og", "image:secure_url"),
    ("meta", "og:image"),
    ("twitter", "image"),
    ("twitter", "image:src"),
    ("meta", "twitter:image"),
    ("page", "image"),  # <link rel="image_src">
)
SITE_NAME_SOURCES = (("og", "site_name"), ("meta", "og:site_name"))


@dataclass
class Preview:
    """What a page says about itself; every field is "" when the page does not say."""

    url: str
    title: str
    description: str
    image_url: str
    site_name: str
    language: str


class _PreviewParser(MetadataParser):
    """metadata_parser with the standard library's HTML parser and no title cut."""

    # We cut titles ourselves, after collapsing whitespace.
    LEN_MAX_TITLE = 100_000

    def make_soup(self, html: str, **kwargs_bs: Any) -> BeautifulSoup:
        # The library tries lxml first and logs an error on each page when it is not
        # installed; html.parser is always there and copes with broken markup.
        soup = BeautifulSoup(html, "html.parser", **kwargs_bs)
        if soup.html is None:
            # html.parser, unlike browsers, adds no <html> to a page that omits it, and
            # metadata_parser ignores a document without one.
            root = soup.new_tag("html")
            for child in list(soup.contents):
                root.append(child.extract())
            soup.append(root)
        return soup


def parse_preview(html: bytes, url: str, encoding: str | None = None) -> Preview:
    """Extract a preview from an HTML page fetched from `url` (its final URL).

    `encoding` is the charset from the HTTP Content-Type header, if any; otherwise a
    byte order mark or <meta charset> decides, then UTF-8. Never touches the network.
    """
    content_type = f"text/html; charset={encoding}" if encoding else None
    # Undecodable bytes become U+FFFD rather than an error.
    _, text = html_to_unicode(content_type, html)
    host = urlsplit(url).hostname or ""
    try:
        parser = _PreviewParser(
            url=url,
            html=text,
            search_head_only=False,
            derive_encoding=False,
            cached_urlparser=False,
        )
    except (NotParsable, InvalidDocument):
        return Preview(url=url, title="", description="", image_url="", site_name=host, language="")

    metadata: dict[str, Any] = parser.parsed_result.metadata
    soup = parser.parsed_result.soup
    return Preview(
        url=url,
        title=_first_text(metadata, TITLE_SOURCES)[:TITLE_MAX_LENGTH].rstrip(),
        description=_first_text(metadata, DESCRIPTION_SOURCES)[:DESCRIPTION_MAX_LENGTH].rstrip(),
        image_url=_image_url(metadata, _base_url(soup, url)),
        site_name=_first_text(metadata, SITE_NAME_SOURCES)[:TITLE_MAX_LENGTH].rstrip() or host,
        language=_language(soup),
    )


def fetch_preview(url: str) -> Preview:
    """Fetch a page through safe_fetch and return its preview; raises FetchError."""
    result = fetch(
        url,
        accept=("text/html", "application/xhtml+xml"),
        truncate=True,
        max_bytes=PREVIEW_MAX_BYTES,
    )
    return parse_preview(result.body, result.url, result.encoding)


def _values(metadata: dict[str, Any], store: str, key: str) -> list[str]:
    """Return the values filed under `key` (case-insensitively) in one store."""
    bucket = metadata.get(store) or {}
    values: list[str] = []
    for name, value in bucket.items():
        if name.lower() == key:
            found = value if isinstance(value, list) else [value]
            values.extend(item for item in found if isinstance(item, str))
    return values


def _first_text(metadata: dict[str, Any], sources: tuple[tuple[str, str], ...]) -> str:
    for store, key in sources:
        for value in _values(metadata, store, key):
            text = " ".join(value.split())
            if text:
                return text
    return ""


def _image_url(metadata: dict[str, Any], base_url: str) -> str:
    """Return the first declared image as an absolute http(s) URL, or ""."""
    for store, key in IMAGE_SOURCES:
        for value in _values(metadata, store, key):
            # Templates sometimes break long URLs over lines; whitespace is never
            # meaningful in a URL.
            candidate = "".join(value.split())
            if not candidate:
                continue
            # urljoin follows RFC 3986 ("../a.png", "//cdn/a.png"); metadata_parser's own
            # get_metadata_link does not resolve "..", and with tldextract installed it
            # may download the public suffix list while we parse.
            absolute = urljoin(base_url, candidate)
            parts = urlsplit(absolute)
            if parts.scheme in ("http", "https") and parts.hostname:
                return absolute
    return ""


def _base_url(soup: BeautifulSoup | None, url: str) -> str:
    """Return the URL relative links are resolved against: <base href> or the page."""
    base = soup.find("base", href=True) if soup is not None else None
    href = base.get("href") if isinstance(base, Tag) else None
    if isinstance(href, str) and href.strip():
        return urljoin(url, href.strip())
    return url


def _language(soup: BeautifulSoup | None) -> str:
    """Return the two-letter language of <html lang>, or ""."""
    html = soup.find("html") if soup is not None else None
    if not isinstance(html, Tag):
        return ""
    lang = html.get("lang") or html.get("xml:lang")
    if not isinstance(lang, str):
        return ""
    primary = lang.strip().replace("_", "-").split("-")[0].lower()
    # A three-letter code (fil, yue) cut to two letters would name another language.
    return primary if len(primary) == 2 and primary.isalpha() and primary.isascii() else ""
