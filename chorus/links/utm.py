"""Add UTM parameters to a destination URL without disturbing what it already carries."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from w3lib.url import safe_url_string


def add_utm(url: str, params: dict[str, str]) -> str:
    """Return an http(s) URL with `params` appended to its query; raise ValueError otherwise.

    The URL's own parameters keep their order and their exact text, and win over ours: a
    parameter the URL already has is not added again. Ours follow in the order given,
    blank values included, and the fragment stays last.
    """
    # safe_url_string parses like a browser: it percent-encodes a non-ASCII path or query
    # as UTF-8, converts an IDN host to punycode and leaves existing escapes and "+" alone.
    parts = urlsplit(safe_url_string(url))
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"Not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise ValueError(f"URL without a host: {url!r}")

    # Work on the raw query text: decoding and re-encoding it would turn "+" into "%20"
    # (or back) and could break a signature or a server that reads its query literally.
    existing = [pair for pair in parts.query.split("&") if pair]
    # Servers decode names before reading them, so "utm%5Fsource" is utm_source.
    present = {unquote_plus(pair.partition("=")[0]) for pair in existing}
    added = [
        f"{quote(name, safe='')}={quote(value, safe='')}"
        for name, value in params.items()
        if name not in present
    ]
    query = "&".join(existing + added)
    # An http(s) URL always has a path; "https://example.com?x" is "https://example.com/?x".
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))
