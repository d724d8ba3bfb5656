"""Canonical forms of URLs, so the same page shared twice is recognised as one link."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import safe_url_string

DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that identify a campaign, click or subscriber rather than the page.
# Compared in lower case; every utm_* parameter is tracking as well.
TRACKING_PARAMETERS = frozenset(
    name.lower()
    for name in (
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "si",
        "spm",
        "__s",
        "vero_id",
        "oly_enc_id",
        "oly_anon_id",
        "rb_clickid",
        "s_cid",
        "trk",
        "trkCampaign",
        "sc_campaign",
    )
)
TRACKING_PREFIXES = ("utm_",)


def tracking_parameters() -> frozenset[str]:
    """Return the lower-case names of the query parameters that only track visitors.

    Parameters starting with one of TRACKING_PREFIXES (utm_) are tracking too.
    """
    return TRACKING_PARAMETERS


def is_tracking_parameter(name: str) -> bool:
    """Return whether a query parameter name (possibly percent-encoded) only tracks."""
    name = unquote_plus(name).lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL; raise ValueError for anything else.

    Lower-cases the scheme and host, IDNA-encodes the host, drops the default port,
    the fragment and tracking parameters, and sorts the remaining query parameters
    (repeated keys and blank values are kept). The path is kept as written, since
    servers may treat "/a/" and "/a" or "%7E" and "~" differently.
    """
    # safe_url_string parses like a browser, IDNA-encodes the host, lower-cases scheme
    # and host and percent-encodes what is not allowed in a URL.
    parts = urlsplit(safe_url_string(url))
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"Not an http(s) URL: {url!r}")
    host = parts.hostname
    if not host:
        raise ValueError(f"URL without a host: {url!r}")
    if not host.isascii():
        raise ValueError(f"URL with an invalid host name: {url!r}")

    if ":" in host:
        # One spelling per IPv6 address: [::0:1] and [::1] are the same host.
        host = f"[{ipaddress.IPv6Address(host.split('%')[0])}]"
    netloc = host
    if parts.port is not None and parts.port != DEFAULT_PORTS[parts.scheme]:
        netloc = f"{host}:{parts.port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc

    # w3lib's url_query_cleaner only removes exact, case-sensitive names, and the
    # utm_ prefix or "FBCLID" would slip through it, hence our own filter.
    pairs = [
        pair
        for pair in parts.query.split("&")
        if pair and not is_tracking_parameter(pair.partition("=")[0])
    ]
    # Sorting by (key, value) gives one order whatever order the link was written in.
    query = "&".join(sorted(pairs, key=lambda pair: pair.partition("=")))
    return urlunsplit((parts.scheme, netloc, parts.path or "/", query, ""))
