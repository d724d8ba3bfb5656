"""Turn a fetched RSS, Atom or JSON Feed document into plain entries (no network access).

feedparser handles RSS 0.9x/1.0/2.0 and Atom, including broken XML and wrong encodings;
feedparser 6.0 does not read JSON Feed, so that format is parsed here with the json module
(https://www.jsonfeed.org/version/1.1/).
"""

from __future__ import annotations

import io
import json
import logging
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe

logger = logging.getLogger(__name__)

SUMMARY_MAX_LENGTH = 1000
JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"
JSON_MEDIA_TYPES = ("application/feed+json", "application/json")
# Types a web page uses to advertise its feed in <link rel="alternate" type=…>.
FEED_LINK_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
)


@dataclass(frozen=True)
class FeedEntry:
    """One post of a feed, reduced to what Chorus shows and shares."""

    guid: str
    url: str
    title: str
    summary: str
    published_at: datetime | None
    image_url: str
    language: str


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its own details and the entries that have a usable link."""

    title: str
    site_url: str
    language: str
    entries: list[FeedEntry]
    format: str  # feedparser's version ("rss20", "rss10", "atom10", …) or "json"


class FeedParseError(Exception):
    """The document is not a feed Chorus can read; the message says why, for people."""

    def __init__(self, message: str, *, feed_urls: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        # When a web page was given instead of its feed: the feeds that page advertises.
        self.feed_urls = feed_urls


def parse_feed(
    body: bytes, *, url: str, content_type: str = "", encoding: str | None = None
) -> ParsedFeed:
    """Parse a fetched feed document; ``url`` is where it was fetched from.

    ``content_type`` is the response's Content-Type header, whose charset is honoured;
    ``encoding`` is a charset the caller knows for certain and overrides it. Relative links
    are resolved against ``url``. Raises FeedParseError for anything that is not a feed.
    """
    if not body.strip():
        raise FeedParseError(f"{url} returned an empty document instead of a feed.")
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = encoding or _charset_parameter(parameters)
    if _is_json(body, media_type):
        return _parse_json_feed(body, url=url, charset=charset)
    return _parse_xml_feed(body, url=url, media_type=media_type, charset=charset)


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML fragment, whitespace collapsed to single spaces."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return _collapse_whitespace("".join(extractor.parts))


# --- RSS and Atom, through feedparser ----------------------------------------------------


def _parse_xml_feed(body: bytes, *, url: str, media_type: str, charset: str) -> ParsedFeed:
    headers = {
        # Base for relative links, which feedparser then resolves (honouring xml:base).
        "content-location": url,
        # Without a Content-Type feedparser decodes an undeclared feed as ISO-8859-1 (its
        # mojibake repair then fixes text but not attributes such as links) and flags it;
        # application/xml means the XML rule: the declared encoding, else UTF-8.
        "content-type": (media_type or "application/xml")
        + (f"; charset={charset}" if charset else ""),
    }
    # A BytesIO, never the bytes themselves: feedparser treats a bytes/str argument that
    # names a file as a path and reads it from disk.
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    version = result.get("version") or ""
    raw_entries = result.get("entries") or []
    problem = result.get("bozo_exception") if result.get("bozo") else None
    feed = result.get("feed") or {}
    title = _detail_text(feed, "title")

    if not version and not raw_entries:
        if _looks_like_html(body, media_type):
            raise _web_page_error(body, url=url)
        reason = f" ({_describe(problem)})" if problem else ""
        raise FeedParseError(f"{url} is not a valid RSS, Atom or JSON feed{reason}.")
    # Only notices (a wrong charset, a non-XML Content-Type) are harmless; a real XML error
    # with nothing recovered means the document is broken or cut short, even if a title
    # survived.
    serious = problem is not None and not isinstance(problem, ThingsNobodyCaresAboutButMe)
    if problem is not None and not raw_entries and (serious or not title):
        raise FeedParseError(f"{url} is not a valid RSS, Atom or JSON feed ({_describe(problem)}).")
    if serious:
        logger.warning(
            "Feed %s is malformed (%s); kept the %d entries that could be read.",
            url,
            _describe(problem),
            len(raw_entries),
        )

    feed_language = _clean_language(feed.get("language"))
    entries = [
        entry
        for raw in raw_entries
        if (entry := _entry_from_feedparser(raw, url=url, feed_language=feed_language))
    ]
    return ParsedFeed(
        title=title,
        site_url=_absolute_http_url(feed.get("link"), base=url),
        language=feed_language,
        entries=entries,
        format=version,
    )


def _entry_from_feedparser(
    raw: Mapping[str, Any], *, url: str, feed_language: str
) -> FeedEntry | None:
    entry_url = _absolute_http_url(raw.get("link"), base=url)
    if not entry_url:
        return None
    return FeedEntry(
        guid=_string(raw.get("id")).strip() or entry_url,
        url=entry_url,
        title=_detail_text(raw, "title"),
        summary=_truncate(_entry_summary(raw)),
        published_at=_from_struct_time(raw.get("published_parsed"))
        or _from_struct_time(raw.get("updated_parsed")),
        image_url=_entry_image(raw, base=url),
        language=_entry_language(raw) or feed_language,
    )


def _entry_summary(raw: Mapping[str, Any]) -> str:
    if raw.get("summary_detail") and (summary := _detail_text(raw, "summary")):
        return summary
    # Without a summary of its own, feedparser copies the content into "summary" but not
    # its type, which the content still carries.
    for content in raw.get("content") or []:
        text = _html_or_plain(_string(content.get("value")), _string(content.get("type")))
        if text:
            return text
    return ""


def _entry_image(raw: Mapping[str, Any], *, base: str) -> str:
    """Return the entry's image: media:content, then an image enclosure, then a thumbnail."""
    candidates: list[Any] = [
        media.get("url")
        for media in raw.get("media_content") or []
        if media.get("medium") == "image" or _is_image_type(media.get("type"))
    ]
    candidates += [
        enclosure.get("href")
        for enclosure in raw.get("enclosures") or []
        if _is_image_type(enclosure.get("type"))
    ]
    # Thumbnails come last: they are the smallest version of the picture.
    candidates += [thumbnail.get("url") for thumbnail in raw.get("media_thumbnail") or []]
    for candidate in candidates:
        if image_url := _absolute_http_url(candidate, base=base):
            return image_url
    return ""


def _entry_language(raw: Mapping[str, Any]) -> str:
    # feedparser keeps an entry's own xml:lang only on its text constructs.
    details = [raw, raw.get("title_detail"), raw.get("summary_detail"), *raw.get("content", [])]
    for detail in details:
        if detail and (language := _clean_language(detail.get("language"))):
            return language
    return ""


def _detail_text(container: Mapping[str, Any], key: str) -> str:
    """Return a feedparser text construct as plain text, removing markup only from HTML."""
    detail = container.get(f"{key}_detail") or {}
    return _html_or_plain(_string(container.get(key)), _string(detail.get("type")))


def _html_or_plain(value: str, content_type: str) -> str:
    # A plain-text title such as "Why x < y" must not go through an HTML parser.
    if "html" in content_type:
        return html_to_text(value)
    return _collapse_whitespace(value)


def _from_struct_time(value: time.struct_time | None) -> datetime | None:
    # feedparser has already converted the date to UTC.
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _describe(problem: BaseException | None) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        return f"XML error on line {problem.getLineNumber()}: {problem.getMessage()}"
    return str(problem) or type(problem).__name__


# --- JSON Feed -----------------------------------------------------------------------------


def _is_json(body: bytes, media_type: str) -> bool:
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"{" or (media_type in JSON_MEDIA_TYPES and start != b"<")


def _parse_json_feed(body: bytes, *, url: str, charset: str) -> ParsedFeed:
    try:
        # JSON is UTF-8 (RFC 8259); "utf-8-sig" also accepts a leading byte-order mark.
        document = json.loads(body.decode(charset or "utf-8-sig"))
    except (LookupError, UnicodeDecodeError, ValueError) as error:
        raise FeedParseError(
            f"{url} is not a valid RSS, Atom or JSON feed (invalid JSON: {error})."
        ) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION_PREFIX):
        raise FeedParseError(
            f"{url} is not a valid RSS, Atom or JSON feed (JSON without a JSON Feed version)."
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"{url} is not a valid JSON feed (its items are missing).")

    feed_language = _clean_language(document.get("language"))
    entries = [
        entry
        for item in items
        if isinstance(item, dict)
        and (entry := _entry_from_json(item, url=url, feed_language=feed_language))
    ]
    return ParsedFeed(
        title=_collapse_whitespace(_string(document.get("title"))),
        site_url=_absolute_http_url(document.get("home_page_url"), base=url),
        language=feed_language,
        entries=entries,
        format="json",
    )


def _entry_from_json(item: Mapping[str, Any], *, url: str, feed_language: str) -> FeedEntry | None:
    # "external_url" is the page a link-blog item talks about; share it if that is all.
    entry_url = _absolute_http_url(item.get("url"), base=url) or _absolute_http_url(
        item.get("external_url"), base=url
    )
    if not entry_url:
        return None
    # Version 1.0 allowed numeric ids.
    item_id = item.get("id")
    guid = str(item_id).strip() if isinstance(item_id, str | int) else ""
    summary = _collapse_whitespace(_string(item.get("summary"))) or _collapse_whitespace(
        _string(item.get("content_text"))
    )
    if not summary:
        summary = html_to_text(_string(item.get("content_html")))
    return FeedEntry(
        guid=guid or entry_url,
        url=entry_url,
        title=_collapse_whitespace(_string(item.get("title"))),
        summary=_truncate(summary),
        published_at=_from_rfc3339(item.get("date_published"))
        or _from_rfc3339(item.get("date_modified")),
        image_url=_absolute_http_url(item.get("image"), base=url)
        or _absolute_http_url(item.get("banner_image"), base=url),
        language=_clean_language(item.get("language")) or feed_language,
    )


def _from_rfc3339(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # RFC 3339 requires an offset; a feed that omits it most likely means UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- Web pages given instead of a feed ---------------------------------------------------


def _looks_like_html(body: bytes, media_type: str) -> bool:
    if media_type in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _web_page_error(body: bytes, *, url: str) -> FeedParseError:
    finder = _FeedLinkFinder()
    finder.feed(body.decode("utf-8", "replace"))
    finder.close()
    feed_urls = tuple(
        dict.fromkeys(
            feed_url for href in finder.hrefs if (feed_url := _absolute_http_url(href, base=url))
        )
    )
    message = f"{url} is a web page, not an RSS, Atom or JSON feed."
    if feed_urls:
        message += f" The page links to a feed at {feed_urls[0]}."
    return FeedParseError(message, feed_urls=feed_urls)


class _FeedLinkFinder(HTMLParser):
    """Collect the hrefs of <link rel="alternate" type="application/rss+xml"> and kin."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        link_type = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and link_type in FEED_LINK_TYPES and values.get("href"):
            self.hrefs.append(values["href"])


# --- Text helpers ------------------------------------------------------------------------

# Tags whose text readers never see.
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Tags that sit inside a line of text; every other tag separates words ("</p><p>").
_INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font",
        "i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
        "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    """Collect an HTML fragment's visible text (entities decoded by HTMLParser)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._invisible_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE_TAGS:
            self._invisible_depth += 1
        elif tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE_TAGS:
            self._invisible_depth = max(0, self._invisible_depth - 1)
        elif tag not in _INLINE_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._invisible_depth:
            self.parts.append(data)


def _collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def _truncate(text: str, limit: int = SUMMARY_MAX_LENGTH) -> str:
    """Shorten text to at most ``limit`` characters, cutting between words."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def _absolute_http_url(value: Any, *, base: str) -> str:
    """Return the value as an absolute http(s) URL resolved against base, or ""."""
    if not isinstance(value, str) or not value.strip():
        return ""
    absolute = urljoin(base, value.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return absolute


def _is_image_type(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith("image/")


def _clean_language(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _charset_parameter(parameters: str) -> str:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
