"""UTM parameters join a destination URL without changing what it already says."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.links.utm import add_utm

OURS = {"utm_source": "linkedin", "utm_medium": "social"}


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        pytest.param(
            "https://example.com/page",
            OURS,
            "https://example.com/page?utm_source=linkedin&utm_medium=social",
            id="plain",
        ),
        pytest.param(
            "https://example.com",
            {"utm_source": "x"},
            "https://example.com/?utm_source=x",
            id="no path",
        ),
        pytest.param(
            "https://example.com/p?id=42&lang=fr",
            OURS,
            "https://example.com/p?id=42&lang=fr&utm_source=linkedin&utm_medium=social",
            id="existing parameters first",
        ),
        pytest.param(
            "https://example.com/p?utm_source=newsletter&x=1&utm_campaign=spring",
            {"utm_source": "linkedin", "utm_medium": "social", "utm_campaign": "autumn"},
            "https://example.com/p?utm_source=newsletter&x=1&utm_campaign=spring&utm_medium=social",
            id="existing utm kept",
        ),
        pytest.param(
            "https://example.com/p?utm%5Fsource=newsletter",
            {"utm_source": "linkedin"},
            "https://example.com/p?utm%5Fsource=newsletter",
            id="existing utm with an encoded name",
        ),
        pytest.param(
            "https://example.com/p?UTM_SOURCE=newsletter",
            {"utm_source": "linkedin"},
            "https://example.com/p?UTM_SOURCE=newsletter&utm_source=linkedin",
            id="names are case-sensitive",
        ),
        pytest.param(
            "https://example.com/p?x=1#section-2",
            {"utm_source": "x"},
            "https://example.com/p?x=1&utm_source=x#section-2",
            id="fragment after the query",
        ),
        pytest.param(
            "https://example.com/app#/route?tab=1",
            {"utm_source": "x"},
            "https://example.com/app?utm_source=x#/route?tab=1",
            id="query-like fragment untouched",
        ),
        pytest.param(
            "https://exemple.fr/été?x=1",
            {"utm_source": "x"},
            "https://exemple.fr/%C3%A9t%C3%A9?x=1&utm_source=x",
            id="non-ascii path",
        ),
        pytest.param(
            "https://bücher.example/x",
            {"utm_source": "x"},
            "https://xn--bcher-kva.example/x?utm_source=x",
            id="idn host",
        ),
        pytest.param(
            "https://example.com/?a=&b=1",
            {"utm_content": ""},
            "https://example.com/?a=&b=1&utm_content=",
            id="blank values",
        ),
        pytest.param(
            "https://example.com/search?q=red+shoes&t=a%20b&s=%2B",
            {"utm_source": "x"},
            "https://example.com/search?q=red+shoes&t=a%20b&s=%2B&utm_source=x",
            id="plus and %20 as sent",
        ),
        pytest.param(
            "https://example.com:8443/x",
            {"utm_source": "x"},
            "https://example.com:8443/x?utm_source=x",
            id="port",
        ),
        pytest.param(
            "http://localhost:8000/",
            {"utm_source": "x"},
            "http://localhost:8000/?utm_source=x",
            id="http and localhost",
        ),
        pytest.param(
            "https://example.com/p?tag=a&tag=b&flag",
            {"flag": "1", "ref": "abc123"},
            "https://example.com/p?tag=a&tag=b&flag&ref=abc123",
            id="repeated and value-less parameters",
        ),
        pytest.param(
            "https://example.com/p?&a=1&&",
            {"utm_source": "x"},
            "https://example.com/p?a=1&utm_source=x",
            id="empty pieces dropped",
        ),
        pytest.param(
            "https://example.com/p",
            {"utm_campaign": "Spring sale & more/2025", "utm_term": "été"},
            "https://example.com/p?utm_campaign=Spring%20sale%20%26%20more%2F2025"
            "&utm_term=%C3%A9t%C3%A9",
            id="our values encoded",
        ),
        pytest.param(
            "HTTPS://Example.COM/Path?x=1",
            {"utm_source": "x"},
            "https://example.com/Path?x=1&utm_source=x",
            id="scheme and host lower-cased, path kept",
        ),
        pytest.param(
            "https://example.com/p?utm_source=a&utm_medium=b",
            OURS,
            "https://example.com/p?utm_source=a&utm_medium=b",
            id="nothing to add",
        ),
        pytest.param(
            "https://example.com/p?x=1",
            {},
            "https://example.com/p?x=1",
            id="no parameters",
        ),
    ],
)
def test_add_utm(url: str, params: dict[str, str], expected: str) -> None:
    assert add_utm(url, params) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "data:text/html,hi",
        "/relative/path",
        "example.com/page",
        "//example.com/page",
        "https://",
        "",
    ],
)
def test_only_http_urls(url: str) -> None:
    with pytest.raises(ValueError):
        add_utm(url, OURS)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
NAMES = st.one_of(
    st.sampled_from(["utm_source", "utm_medium", "utm_campaign", "utm_content", "ref", "q"]),
    TEXT.filter(bool),
)
HOSTS = st.sampled_from(
    ["example.com", "sub.example.org", "localhost:8000", "xn--bcher-kva.example"]
)
ENCODERS = st.sampled_from([quote, quote_plus])


@st.composite
def destinations(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Draw an http(s) URL encoded as a browser would send it, and its raw query pieces."""
    scheme = draw(st.sampled_from(["http", "https"]))
    segments = draw(st.lists(TEXT, max_size=4))
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    encode = draw(ENCODERS)
    pairs = draw(st.lists(st.tuples(NAMES, TEXT), max_size=5))
    pieces = [f"{encode(name, safe='')}={encode(value, safe='')}" for name, value in pairs]
    fragment = quote(draw(TEXT), safe="/?=&")
    url = f"{scheme}://{draw(HOSTS)}{path}"
    if pieces:
        url += "?" + "&".join(pieces)
    if fragment:
        url += "#" + fragment
    return url, pieces


@settings(deadline=None)
@given(destinations(), st.dictionaries(NAMES, TEXT, max_size=5))
def test_add_utm_keeps_the_url_and_adds_each_parameter_once(
    destination: tuple[str, list[str]], params: dict[str, str]
) -> None:
    url, pieces = destination
    before = urlsplit(url)
    after = urlsplit(add_utm(url, params))

    assert (after.scheme, after.netloc, after.path, after.fragment) == (
        before.scheme,
        before.netloc,
        before.path,
        before.fragment,
    )
    # The URL's own parameters come first, byte for byte and in order.
    assert after.query.split("&")[: len(pieces)] == pieces
    original_names = [unquote_plus(piece.partition("=")[0]) for piece in pieces]
    merged = parse_qsl(after.query, keep_blank_values=True)
    names = [name for name, _ in merged]
    for name, value in params.items():
        if name in original_names:
            assert names.count(name) == original_names.count(name)
        else:
            assert names.count(name) == 1
            assert (name, value) in merged
