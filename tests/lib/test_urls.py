"""Canonical URLs: the same page shared with different decorations is one link."""

from __future__ import annotations

import pytest

from chorus.lib.urls import canonicalize_url, tracking_parameters


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.COM:80/", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com?b=1", "https://example.com/?b=1"),
        ("https://example.com/post#comments", "https://example.com/post"),
        (
            "https://example.com/post?utm_source=li&utm_medium=social&UTM_Campaign=x&utm_foo=1",
            "https://example.com/post",
        ),
        ("https://example.com/post?fbclid=abc&gclid=def&msclkid=1", "https://example.com/post"),
        ("https://example.com/post?FBCLID=abc&trkcampaign=1&TRK=2", "https://example.com/post"),
        ("https://example.com/post?utm%5Fsource=x&id=1", "https://example.com/post?id=1"),
        ("https://example.com/p?id=7&ref=hn&utm_source=x", "https://example.com/p?id=7&ref=hn"),
        ("https://example.com/p?c=3&b=2&a=1", "https://example.com/p?a=1&b=2&c=3"),
        ("https://example.com/p?tag=b&tag=a&empty=", "https://example.com/p?empty=&tag=a&tag=b"),
        ("https://example.com/p?&&a=1&", "https://example.com/p?a=1"),
        ("https://example.com/?utm_source=x", "https://example.com/"),
        # The path is the server's business: case, trailing slash and dots are kept.
        ("https://example.com/Blog/Post/", "https://example.com/Blog/Post/"),
        ("https://example.com/a/../b", "https://example.com/a/../b"),
        ("https://bücher.example/café", "https://xn--bcher-kva.example/caf%C3%A9"),
        ("https://ÉXAMPLE.com/", "https://xn--xample-9ua.com/"),
        ("http://[::0:1]:80/", "http://[::1]/"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_decorated_links_to_one_page_share_a_canonical_form() -> None:
    shared = [
        "https://Example.com/launch?utm_source=linkedin&id=4",
        "https://example.com:443/launch?id=4&fbclid=XYZ#top",
        "HTTPS://EXAMPLE.COM/launch?gclid=1&id=4&utm_medium=email",
    ]
    assert {canonicalize_url(url) for url in shared} == {"https://example.com/launch?id=4"}


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file", "mailto:someone@example.com", "http://", "/relative/path", ""],
)
def test_non_http_or_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(url)


def test_tracking_parameters() -> None:
    names = tracking_parameters()
    assert {"fbclid", "gclid", "mc_eid", "trkcampaign", "_hsenc"} <= names
    assert "id" not in names
    assert "ref" not in names
