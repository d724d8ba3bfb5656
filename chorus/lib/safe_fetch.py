"""Fetch a URL that a user gave us without letting it reach our own network (SSRF).

Links pasted by members (previews, feeds) are fetched by the server, so a URL such as
http://169.254.169.254/ or a name that resolves to 10.0.0.5 would let anyone read the
cloud metadata service or an internal admin page through us. `fetch` therefore:

- resolves the host once, refuses if any address is not public, and connects to that
  very address (the Host header and TLS SNI carry the name), so a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot slip through;
- follows redirects itself, checking every hop the same way before connecting;
- bounds the time, the number of redirects and the decoded size of the body.

Set CHORUS_ALLOW_PRIVATE_URLS only on a developer's machine or in tests.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from w3lib.url import safe_url_string

try:
    import certifi

    # certifi carries Mozilla's current trust store; the operating system's bundle
    # (urllib3's fallback) may be missing or stale in slim containers.
    CA_CERTS: str | None = certifi.where()
except ImportError:  # pragma: no cover - installed with requests, which we depend on
    CA_CERTS = None

FetchErrorCode = Literal[
    "invalid_url",
    "blocked_address",
    "dns",
    "timeout",
    "too_large",
    "too_many_redirects",
    "http_error",
    "bad_content_type",
    "connection",
]

CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}
# A redirect to another origin must not carry the caller's credentials along.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class FetchError(Exception):
    """A fetch that failed; `code` says why, `status` carries the HTTP status if any."""

    def __init__(self, code: FetchErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code: FetchErrorCode = code
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"FetchError(code={self.code!r}, status={self.status!r}, message={self.message!r})"


@dataclass(frozen=True)
class FetchResult:
    """A successful response: a 2xx with its (possibly truncated) body, or a 304."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool
    content_type: str
    encoding: str | None


@dataclass(frozen=True)
class _Target:
    """One hop of a fetch: where to connect and what to ask for."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA), IPv6 without brackets
    port: int
    host_header: str
    request_target: str

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def is_public_address(ip: str) -> bool:
    """Return whether an IP address is on the public internet (and not multicast).

    Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the
    IPv4 address, since that is where the packets end up.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _is_public(embedded)
        if address.teredo is not None:
            # Teredo is not global anyway; checking the client keeps that true if a
            # future Python reclassifies the prefix.
            return _is_public(address) and _is_public(address.teredo[1])
    return _is_public(address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address forwards to, if it is one of those forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    # NAT64 well-known prefix (RFC 6052): a gateway turns 64:ff9b::a.b.c.d into a.b.c.d.
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # `is_global` alone still accepts multicast (224.0.0.0/4) and, depending on the
    # Python release, some reserved or site-local ranges, hence the extra checks.
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def fetch(
    url: str,
    *,
    accept: tuple[str, ...] = (),
    max_bytes: int | None = None,
    timeout: float | None = None,
    max_redirects: int = 5,
    extra_headers: dict[str, str] | None = None,
    truncate: bool = False,
) -> FetchResult:
    """GET a user-supplied http(s) URL, refusing private addresses, and return the body.

    `accept` lists the acceptable media types; `max_bytes` (default
    CHORUS_FETCH_MAX_BYTES) bounds the decoded body: past it the fetch fails with
    "too_large", or with `truncate` returns the first `max_bytes` bytes. `timeout`
    (default CHORUS_FETCH_TIMEOUT) bounds each network wait and the whole fetch,
    redirects included; only DNS resolution is left to the system resolver's limits.
    `extra_headers` adds request headers, e.g. If-None-Match for a conditional GET,
    which may return a 304 result with an empty body. Raises FetchError.
    """
    limit = settings.CHORUS_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    budget = float(settings.CHORUS_FETCH_TIMEOUT if timeout is None else timeout)
    deadline = time.monotonic() + budget
    headers = _request_headers(accept, extra_headers)

    current_url = url
    previous: _Target | None = None
    for _hop in range(max_redirects + 1):
        target = _parse_target(current_url)
        if previous is not None and previous.origin != target.origin:
            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        addresses = _resolve(target)
        if not settings.CHORUS_ALLOW_PRIVATE_URLS:
            for address in addresses:
                if not is_public_address(address):
                    where = target.host if address == target.host else f"{target.host} ({address})"
                    raise FetchError("blocked_address", f"{where} is not a public address.")

        pool, response = _open(target, addresses, headers, deadline)
        try:
            status = response.status
            if status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(
                        "http_error", f"HTTP {status} redirect without a Location.", status=status
                    )
                previous = target
                current_url = urljoin(target.url, location.strip())
                continue
            return _result(target, response, accept, limit, truncate, deadline)
        except (HTTPError, OSError, http.client.HTTPException) as error:
            raise _translate(error) from error
        finally:
            response.close()
            pool.close()

    raise FetchError("too_many_redirects", f"More than {max_redirects} redirects.")


@dataclass(frozen=True)
class Response:
    """What an API answered, whatever the status."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        import json

        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> Response:
    """Send one request to a user-supplied API URL (a Mastodon server, a Bluesky PDS) under
    the same guard as `fetch`: public addresses only, the connection pinned to the checked
    address, bounded time and size. Redirects are not followed and any status is returned;
    FetchError means the transport failed ("timeout" may come after the request was sent).
    """
    limit = settings.CHORUS_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    budget = float(settings.CHORUS_FETCH_TIMEOUT if timeout is None else timeout)
    deadline = time.monotonic() + budget
    all_headers = _request_headers(("application/json",), headers)
    target = _parse_target(url)
    addresses = _resolve(target)
    if not settings.CHORUS_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not is_public_address(address):
                raise FetchError("blocked_address", f"{target.host} is not a public address.")
    pool, response = _open(target, addresses, all_headers, deadline, method, body)
    try:
        response_headers = {
            name.lower(): response.headers.get(name, "") for name in response.headers
        }
        content, _truncated = _read_body(response, limit, False, deadline)
    except (HTTPError, OSError, http.client.HTTPException) as error:
        raise _translate(error) from error
    finally:
        response.close()
        pool.close()
    return Response(target.url, response.status, response_headers, content)


def _request_headers(
    accept: tuple[str, ...], extra_headers: dict[str, str] | None
) -> dict[str, str]:
    headers = {
        "User-Agent": settings.CHORUS_FETCH_USER_AGENT,
        "Accept": ", ".join(accept) if accept else "*/*",
        "Accept-Encoding": "gzip, deflate",
    }
    for name, value in (extra_headers or {}).items():
        # The Host header is ours: it must name the host we resolved and checked.
        if name.lower() == "host":
            continue
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def _parse_target(url: str) -> _Target:
    """Parse and normalise a URL the way browsers do, refusing what we never fetch."""
    try:
        # safe_url_string follows the URL living standard (backslashes, tabs, IDNA), so
        # the host we check is the host a browser would see in the same string.
        safe_url = safe_url_string(url)
        parts = urlsplit(safe_url)
        port = parts.port
    except ValueError as error:
        raise FetchError("invalid_url", f"Invalid URL: {error}.") from error
    if parts.scheme not in DEFAULT_PORTS:
        raise FetchError("invalid_url", "Only http and https URLs can be fetched.")
    if "@" in parts.netloc:
        raise FetchError("invalid_url", "URLs with a user name or password are not fetched.")
    host = parts.hostname
    if not host or not host.isascii():
        raise FetchError("invalid_url", "The URL has no valid host.")
    if port is None:
        port = DEFAULT_PORTS[parts.scheme]
    if port == 0:
        raise FetchError("invalid_url", "The URL has an invalid port.")
    host_in_url = f"[{host}]" if ":" in host else host
    host_header = host_in_url if port == DEFAULT_PORTS[parts.scheme] else f"{host_in_url}:{port}"
    request_target = parts.path or "/"
    if parts.query:
        request_target += "?" + parts.query
    return _Target(
        url=safe_url,
        scheme=parts.scheme,
        host=host,
        port=port,
        host_header=host_header,
        request_target=request_target,
    )


def _resolve(target: _Target) -> list[str]:
    """Return the addresses of the target's host, without DNS for an IP literal."""
    try:
        ipaddress.ip_address(target.host)
    except ValueError:
        pass
    else:
        return [target.host]
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError("dns", f"Could not resolve {target.host}: {error.strerror}.") from error
    except UnicodeError as error:
        # The idna codec rejects empty or over-long labels.
        raise FetchError("invalid_url", f"Invalid host name {target.host}.") from error
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError("dns", f"{target.host} has no address.")
    return addresses


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError("timeout", "The fetch took too long.")
    return remaining


def _open(
    target: _Target,
    addresses: list[str],
    headers: dict[str, str],
    deadline: float,
    method: str = "GET",
    body: bytes | None = None,
) -> tuple[urllib3.HTTPConnectionPool, urllib3.BaseHTTPResponse]:
    """Send the request to the first checked address that accepts a connection."""
    last_error: HTTPError | None = None
    for address in addresses:
        remaining = _remaining(deadline)
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                method,
                target.request_target,
                body=body,
                headers={**headers, "Host": target.host_header},
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=True,
                release_conn=False,
                timeout=urllib3.Timeout(connect=remaining, read=remaining),
            )
        except NewConnectionError as error:
            # Nothing was sent yet, so trying the host's next address is safe.
            pool.close()
            last_error = error
            continue
        except (HTTPError, OSError, http.client.HTTPException) as error:
            pool.close()
            raise _translate(error) from error
        return pool, response
    assert last_error is not None  # addresses is never empty
    raise _translate(last_error) from last_error


def _pool(target: _Target, address: str) -> urllib3.HTTPConnectionPool:
    """Return a one-connection pool bound to a checked IP address, not to the name."""
    host = f"[{address}]" if ":" in address else address
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            host,
            target.port,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=CA_CERTS,
            # The certificate must match the name the user asked for, not the IP.
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(host, target.port, maxsize=1, retries=False)


def _translate(error: BaseException) -> FetchError:
    """Map a urllib3 or socket error to a FetchError."""
    # NewConnectionError subclasses ConnectTimeoutError, so it must be tested first.
    if isinstance(error, NewConnectionError):
        return FetchError("connection", "Could not connect to the server.")
    if isinstance(error, (Urllib3TimeoutError, TimeoutError)):
        return FetchError("timeout", "The server did not answer in time.")
    if isinstance(error, SSLError):
        return FetchError("connection", f"Secure connection failed: {error}.")
    return FetchError("connection", f"The connection failed: {error}.")


def _result(
    target: _Target,
    response: urllib3.BaseHTTPResponse,
    accept: tuple[str, ...],
    limit: int,
    truncate: bool,
    deadline: float,
) -> FetchResult:
    status = response.status
    if not (200 <= status < 300 or status == 304):
        raise FetchError("http_error", f"The server answered HTTP {status}.", status=status)
    # get() joins repeated headers with ", ", which iterating items() would not.
    headers = {name.lower(): response.headers.get(name, "") for name in response.headers}
    content_type, encoding = _parse_content_type(headers.get("content-type", ""))
    if status == 304:
        return FetchResult(target.url, status, headers, b"", False, content_type, encoding)
    if accept and content_type not in {media_type.lower() for media_type in accept}:
        raise FetchError(
            "bad_content_type", f"Expected {', '.join(accept)}, got {content_type or 'nothing'}."
        )
    declared = headers.get("content-length", "")
    # A compressed length says little about the decoded size, so only trust it raw.
    uncompressed = headers.get("content-encoding", "identity").lower() == "identity"
    if not truncate and uncompressed and declared.isdigit() and int(declared) > limit:
        raise FetchError("too_large", f"The response is larger than {limit} bytes.")
    body, truncated = _read_body(response, limit, truncate, deadline)
    return FetchResult(target.url, status, headers, body, truncated, content_type, encoding)


def _read_body(
    response: urllib3.BaseHTTPResponse, limit: int, truncate: bool, deadline: float
) -> tuple[bytes, bool]:
    """Read at most `limit` decoded bytes, plus one to learn whether there was more."""
    body = bytearray()
    while True:
        # The read timeout only bounds each wait, and a server trickling one byte at a
        # time never trips it; shrinking the socket timeout to the time left does.
        remaining = _remaining(deadline)
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(remaining)
        chunk = response.read1(min(CHUNK_SIZE, limit + 1 - len(body)))
        if not chunk:
            return bytes(body), False
        body += chunk
        if len(body) > limit:
            if not truncate:
                raise FetchError("too_large", f"The response is larger than {limit} bytes.")
            return bytes(body[:limit]), True


def _parse_content_type(value: str) -> tuple[str, str | None]:
    """Split a Content-Type header into the lower-case media type and its charset."""
    media_type, _, parameters = value.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, parameter_value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = parameter_value.strip().strip("\"'").lower() or None
    return media_type.strip().lower(), charset
