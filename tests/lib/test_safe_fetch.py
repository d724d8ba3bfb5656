"""safe_fetch against real HTTP servers on the loopback interface.

DNS and routing are the only stand-ins (the `network` fixture): a name resolves to the
addresses a test gives it, and a connection to a listed public address is carried to a
local server, as the internet would carry it to the real host. Nothing leaves the
machine: a name the test did not configure fails to resolve.
"""

from __future__ import annotations

import socket
import ssl
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3.util.connection
from django.conf import settings
from django.test import override_settings

from chorus.lib import safe_fetch
from chorus.lib.safe_fetch import FetchError, fetch, is_public_address

PUBLIC_IP = "93.184.216.34"
FIFTY_MB = 50 * 1024 * 1024

# A self-signed certificate for public.example, valid 2020-2120, for the HTTPS tests.
CERTIFICATE = """-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIBATAKBggqhkjOPQQDAjAZMRcwFQYDVQQDDA5wdWJsaWMu
ZXhhbXBsZTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFowGTEXMBUG
A1UEAwwOcHVibGljLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQS
vnN0C0zPIBXnPtrq5A1z26HgEiS++POUl6hQeHGDWtK6UvyDj+3iQGATmuT9jFEo
KP5jQB1/8MFkBiMogwUno3IwcDAZBgNVHREEEjAQgg5wdWJsaWMuZXhhbXBsZTAP
BgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIChDATBgNVHSUEDDAKBggrBgEF
BQcDATAdBgNVHQ4EFgQUJz0n+5e2729YXC7MAfiHwudjWPMwCgYIKoZIzj0EAwID
SQAwRgIhAKaTCeZDSuTw1l8wCHD+Mr31om2wR+E7dWiYyZLI27l6AiEA2iROh7kL
ikf84eEv7Y3x88kTqZCg/gM1Aeg7qE8zfb8=
-----END CERTIFICATE-----
"""
PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgY1BkicovlaEsnhuH
RvFpZUTi2+VmosM9iw0xSWwf62ShRANCAAQSvnN0C0zPIBXnPtrq5A1z26HgEiS+
+POUl6hQeHGDWtK6UvyDj+3iQGATmuT9jFEoKP5jQB1/8MFkBiMogwUn
-----END PRIVATE KEY-----
"""


# --- Local servers -------------------------------------------------------------------


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


Route = Callable[["Handler"], None]


@dataclass
class LocalServer:
    """An HTTP server in a thread that records every connection and request it gets."""

    routes: dict[str, Route]
    host: str = "127.0.0.1"
    tls_context: ssl.SSLContext | None = None
    connections: list[Any] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    bytes_sent: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        server_class = _HTTPServer6 if ":" in self.host else _HTTPServer
        self.httpd = server_class((self.host, 0), Handler)
        self.httpd.state = self
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        # Handlers that sleep or stream watch `stopping`, so none outlives the test.
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _HTTPServer(ThreadingHTTPServer):
    state: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused TLS handshakes and dropped clients are expected here


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = 10  # a client that goes silent cannot pin a handler thread

    @property
    def state(self) -> LocalServer:
        return self.server.state

    def setup(self) -> None:
        self.state.connections.append(self.client_address)
        if self.state.tls_context is not None:
            self.request = self.state.tls_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def do_GET(self) -> None:
        self.state.requests.append(
            SeenRequest(self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        route = self.state.routes.get(self.path.split("?")[0])
        if route is None:
            self.reply(404, b"not found")
        else:
            route(self)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def ok(body: bytes = b"hello", content_type: str = "text/plain; charset=utf-8") -> Route:
    return lambda handler: handler.reply(200, body, {"Content-Type": content_type})


def redirect(location: str, status: int = 302) -> Route:
    return lambda handler: handler.reply(status, b"", {"Location": location})


def stream(total: int, *, declare_length: bool, gzip: bool = False) -> Route:
    """Send `total` bytes 64 KiB at a time (gzip-encoded if asked), never all in memory."""

    def route(handler: Handler) -> None:
        state = handler.state
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        if declare_length:
            handler.send_header("Content-Length", str(total))
        if gzip:
            handler.send_header("Content-Encoding", "gzip")
        handler.end_headers()
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if gzip else None
        chunk = b"\0" * 65536
        produced = 0
        try:
            while produced < total and not state.stopping.is_set():
                piece = chunk[: total - produced]
                produced += len(piece)
                data = compressor.compress(piece) if compressor else piece
                handler.wfile.write(data)
                state.bytes_sent += len(data)
            if compressor:
                handler.wfile.write(compressor.flush())
        except OSError:
            pass  # the client hung up, as it should once it has enough
        finally:
            state.finished.set()

    return route


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    """Start local servers on demand; every one is stopped after the test."""
    servers: list[LocalServer] = []

    def start(routes: dict[str, Route] | None = None, **kwargs: Any) -> LocalServer:
        server = LocalServer(routes or {}, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def listener(serve: Callable[..., LocalServer]) -> LocalServer:
    """A server answering 200 to anything; a request reaching it is an SSRF."""
    return serve({"/": ok(b"internal secret"), "/secret": ok(b"internal secret")})


# --- DNS and routing stand-in --------------------------------------------------------


class FakeNetwork:
    """Answers DNS for configured names and carries connections to local servers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, list[str] | Callable[[], list[str]] | Exception] = {}
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.lookups: list[str] = []
        self.dials: list[tuple[str, int]] = []
        real_getaddrinfo = socket.getaddrinfo
        real_create_connection = urllib3.util.connection.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                # Numeric hosts, even odd spellings like 2130706433, need no DNS.
                real_getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
            except socket.gaierror:
                pass
            else:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(host)
            answer = self.names.get(host)
            if answer is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            if isinstance(answer, Exception):
                raise answer
            addresses = answer() if callable(answer) else answer
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
                if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in addresses
            ]

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            host, port = address[0].strip("[]"), address[1]
            self.dials.append((host, port))
            return real_create_connection(self.routes.get((host, port), address), *args, **kwargs)

        monkeypatch.setattr(safe_fetch.socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)

    def route(self, ip: str, port: int, server: LocalServer) -> None:
        """Carry connections to ip:port to a local server."""
        self.routes[(ip, port)] = (server.host, server.port)


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    return FakeNetwork(monkeypatch)


def fetch_error(url: str, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **kwargs)
    return caught.value


# --- The guard -----------------------------------------------------------------------


def test_guard_is_on_by_default(listener: LocalServer) -> None:
    assert settings.CHORUS_ALLOW_PRIVATE_URLS is False
    assert fetch_error(listener.url()).code == "blocked_address"
    assert listener.connections == []


# (host written in the URL, address it stands for or resolves to)
PRIVATE_TARGETS = [
    ("127.0.0.1", "127.0.0.1"),
    ("[::1]", "::1"),
    ("10.0.0.1", "10.0.0.1"),
    ("169.254.169.254", "169.254.169.254"),
    ("100.64.0.1", "100.64.0.1"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
    ("loopback.example", "127.0.0.1"),
    ("loopback6.example", "::1"),
    ("intranet.example", "10.0.0.1"),
    ("metadata.example", "169.254.169.254"),
    ("cgnat.example", "100.64.0.1"),
    ("mapped.example", "::ffff:127.0.0.1"),
]


def _aim_at_listener(network: FakeNetwork, listener: LocalServer, host: str, address: str) -> str:
    """Make host:port lead to the listener, as it would if the address were ours."""
    if host.strip("[]") != address:
        network.names[host] = [address]
    network.route(address, listener.port, listener)
    return f"http://{host}:{listener.port}/secret"


@pytest.mark.parametrize(("host", "address"), PRIVATE_TARGETS)
def test_private_addresses_are_refused_before_connecting(
    network: FakeNetwork, listener: LocalServer, host: str, address: str
) -> None:
    url = _aim_at_listener(network, listener, host, address)

    error = fetch_error(url)

    assert error.code == "blocked_address"
    assert address in error.message
    assert network.dials == []
    assert listener.connections == []
    assert listener.requests == []


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
@pytest.mark.parametrize(("host", "address"), PRIVATE_TARGETS)
def test_private_addresses_are_reached_when_allowed(
    network: FakeNetwork, listener: LocalServer, host: str, address: str
) -> None:
    # The control for the test above: the same URL does reach the listener.
    url = _aim_at_listener(network, listener, host, address)

    assert fetch(url).body == b"internal secret"
    assert network.dials == [(address, listener.port)]
    assert [r.path for r in listener.requests] == ["/secret"]


@pytest.mark.parametrize("allowed", [False, True])
@pytest.mark.parametrize("host", ["2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.1"])
def test_odd_spellings_of_loopback_are_refused(
    network: FakeNetwork, listener: LocalServer, host: str, allowed: bool
) -> None:
    url = f"http://{host}:{listener.port}/"

    with override_settings(CHORUS_ALLOW_PRIVATE_URLS=allowed):
        if allowed:
            assert fetch(url).body == b"internal secret"  # the control: it is loopback
        else:
            assert fetch_error(url).code == "blocked_address"
            assert listener.connections == []
    assert network.lookups == []


def test_a_name_with_any_private_address_is_refused(
    network: FakeNetwork, listener: LocalServer
) -> None:
    network.names["mixed.example"] = [PUBLIC_IP, "10.0.0.1"]
    network.route(PUBLIC_IP, 80, listener)

    assert fetch_error("http://mixed.example/").code == "blocked_address"
    assert listener.connections == []


@pytest.mark.parametrize("allowed", [False, True])
def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    network: FakeNetwork, serve: Callable[..., LocalServer], allowed: bool
) -> None:
    internal = serve({"/": ok(b"internal secret")}, host="127.0.0.2")
    public = serve({"/": redirect(internal.url("/"))})
    network.names["public.example"] = [PUBLIC_IP]
    network.route(PUBLIC_IP, 80, public)

    with override_settings(CHORUS_ALLOW_PRIVATE_URLS=allowed):
        if allowed:
            # The control: without the guard the redirect does lead inside.
            assert fetch("http://public.example/").body == b"internal secret"
        else:
            assert fetch_error("http://public.example/").code == "blocked_address"
            assert internal.connections == []
            assert network.dials == [(PUBLIC_IP, 80)]
    assert [r.headers["host"] for r in public.requests] == ["public.example"]


def test_the_checked_address_is_the_one_connected_to(
    network: FakeNetwork, serve: Callable[..., LocalServer]
) -> None:
    server = serve({"/page": ok(b"public page")})
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])
    # A rebinding DNS server: public for the check, loopback for a second lookup.
    network.names["rebind.example"] = lambda: next(answers)
    network.route(PUBLIC_IP, 8080, server)

    result = fetch("http://rebind.example:8080/page")

    assert result.body == b"public page"
    assert network.lookups == ["rebind.example"]
    assert network.dials == [(PUBLIC_IP, 8080)]
    assert server.requests[0].headers["host"] == "rebind.example:8080"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("2002:5db8:d822::1", True),
        ("64:ff9b::5db8:d822", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("192.0.2.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd00::2", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 wrapping 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("example.com", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# --- URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "http://",
        "http://user:pw@host/",
        "http://user@example.com/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "example.com/page",
        "http://example.com:99999/",
        "http://[::1/",
        "",
    ],
)
def test_invalid_urls(network: FakeNetwork, url: str) -> None:
    assert fetch_error(url).code == "invalid_url"
    assert network.lookups == []
    assert network.dials == []


def test_unknown_host_is_a_dns_error(network: FakeNetwork) -> None:
    error = fetch_error("http://nowhere.example/")
    assert error.code == "dns"
    assert network.lookups == ["nowhere.example"]


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    assert fetch_error(f"http://127.0.0.1:{closed_port}/").code == "connection"


# --- Responses (guard off, local servers) ---------------------------------------------


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True, CHORUS_FETCH_USER_AGENT="ChorusTest/1")
def test_fetch_returns_the_page(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/page": ok(b"<p>hi</p>", "Text/HTML; Charset=ISO-8859-1")})

    result = fetch(server.url("/page?q=1"), accept=("text/html",))

    assert result.status == 200
    assert result.url == server.url("/page?q=1")
    assert result.body == b"<p>hi</p>"
    assert result.truncated is False
    assert result.content_type == "text/html"
    assert result.encoding == "iso-8859-1"
    assert result.headers["content-type"] == "Text/HTML; Charset=ISO-8859-1"
    seen = server.requests[0]
    assert seen.path == "/page?q=1"
    assert seen.headers["user-agent"] == "ChorusTest/1"
    assert seen.headers["accept"] == "text/html"
    assert seen.headers["accept-encoding"] == "gzip, deflate"
    assert seen.headers["host"] == f"127.0.0.1:{server.port}"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_ipv6_literal(serve: Callable[..., LocalServer]) -> None:
    # These machines have an IPv6 loopback (Redis listens on ::1 too): no skipping.
    server = serve({"/": ok(b"over v6")}, host="::1")

    assert fetch(server.url("/")).body == b"over v6"
    assert server.requests[0].headers["host"] == f"[::1]:{server.port}"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_redirects_are_followed(serve: Callable[..., LocalServer]) -> None:
    server = serve(
        {
            "/start": redirect("middle", 301),  # relative to /start
            "/middle": redirect("/end?x=1", 307),
            "/end": ok(b"arrived"),
        }
    )

    result = fetch(server.url("/start"))

    assert result.body == b"arrived"
    assert result.url == server.url("/end?x=1")
    assert [r.path for r in server.requests] == ["/start", "/middle", "/end?x=1"]


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_a_redirect_loop_ends(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/loop": redirect("/loop")})

    assert fetch_error(server.url("/loop"), max_redirects=3).code == "too_many_redirects"
    assert len(server.requests) == 4


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_no_redirects_allowed(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/a": redirect("/b"), "/b": ok()})

    assert fetch_error(server.url("/a"), max_redirects=0).code == "too_many_redirects"
    assert [r.path for r in server.requests] == ["/a"]


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_credentials_are_not_sent_to_another_origin(serve: Callable[..., LocalServer]) -> None:
    other = serve({"/": ok()})
    server = serve({"/go": redirect(other.url("/"))})

    fetch(server.url("/go"), extra_headers={"Authorization": "Bearer s3cret", "X-Trace": "1"})

    assert server.requests[0].headers["authorization"] == "Bearer s3cret"
    assert "authorization" not in other.requests[0].headers
    assert other.requests[0].headers["x-trace"] == "1"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
@pytest.mark.parametrize("status", [404, 500])
def test_error_status(serve: Callable[..., LocalServer], status: int) -> None:
    server = serve({"/boom": lambda handler: handler.reply(status, b"no")})

    error = fetch_error(server.url("/boom"))

    assert error.code == "http_error"
    assert error.status == status


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_conditional_get_returns_304(serve: Callable[..., LocalServer]) -> None:
    def feed(handler: Handler) -> None:
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.reply(304, headers={"ETag": '"v1"'})
        else:
            handler.reply(200, b"<rss/>", {"ETag": '"v1"'})

    server = serve({"/feed": feed})

    first = fetch(server.url("/feed"))
    second = fetch(server.url("/feed"), extra_headers={"If-None-Match": first.headers["etag"]})

    assert (first.status, first.body) == (200, b"<rss/>")
    assert (second.status, second.body) == (304, b"")


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_wrong_content_type_is_refused(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/data": ok(b"{}", "application/json")})

    error = fetch_error(server.url("/data"), accept=("text/html", "application/xhtml+xml"))

    assert error.code == "bad_content_type"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_a_slow_server_times_out(serve: Callable[..., LocalServer]) -> None:
    def slow(handler: Handler) -> None:
        if not handler.state.stopping.wait(3):
            handler.reply(200, b"too late")

    server = serve({"/slow": slow})

    assert fetch_error(server.url("/slow"), timeout=0.5).code == "timeout"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_a_trickling_server_hits_the_overall_deadline(serve: Callable[..., LocalServer]) -> None:
    # Each byte comes well within the read timeout; only the overall deadline stops it.
    def trickle(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "50")
        handler.end_headers()
        for _ in range(50):
            if handler.state.stopping.wait(0.1):
                return
            try:
                handler.wfile.write(b".")
            except OSError:
                return

    server = serve({"/trickle": trickle})

    assert fetch_error(server.url("/trickle"), timeout=0.5).code == "timeout"


# --- Size limits ---------------------------------------------------------------------


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "undeclared"])
def test_a_huge_body_is_refused(serve: Callable[..., LocalServer], declare_length: bool) -> None:
    server = serve({"/big": stream(FIFTY_MB, declare_length=declare_length)})

    assert fetch_error(server.url("/big"), max_bytes=100_000).code == "too_large"
    assert server.finished.wait(10)
    # We hung up long before the end: the server could not send it all.
    assert server.bytes_sent < FIFTY_MB


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "undeclared"])
def test_a_huge_body_is_truncated_when_asked(
    serve: Callable[..., LocalServer], declare_length: bool
) -> None:
    server = serve({"/big": stream(FIFTY_MB, declare_length=declare_length)})

    result = fetch(server.url("/big"), max_bytes=100_000, truncate=True)

    assert result.truncated is True
    assert len(result.body) == 100_000
    assert server.finished.wait(10)
    assert server.bytes_sent < FIFTY_MB


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_a_body_of_exactly_the_limit_is_whole(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/exact": stream(100_000, declare_length=False)})

    result = fetch(server.url("/exact"), max_bytes=100_000)

    assert (len(result.body), result.truncated) == (100_000, False)


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True, CHORUS_FETCH_MAX_BYTES=2048)
def test_the_default_limit_comes_from_settings(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/": ok(b"x" * 4096)})

    assert fetch_error(server.url("/")).code == "too_large"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
def test_gzip_is_decoded(serve: Callable[..., LocalServer]) -> None:
    server = serve({"/z": stream(200_000, declare_length=False, gzip=True)})

    result = fetch(server.url("/z"))

    assert result.body == b"\0" * 200_000
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
@pytest.mark.parametrize("truncate", [False, True])
def test_a_gzip_bomb_is_limited_by_its_decoded_size(
    serve: Callable[..., LocalServer], truncate: bool
) -> None:
    # 50 MB of zeros compress to about 50 KB: the limit must count decoded bytes.
    server = serve({"/bomb": stream(FIFTY_MB, declare_length=False, gzip=True)})

    if truncate:
        result = fetch(server.url("/bomb"), max_bytes=100_000, truncate=True)
        assert (len(result.body), result.truncated) == (100_000, True)
    else:
        assert fetch_error(server.url("/bomb"), max_bytes=100_000).code == "too_large"


# --- HTTPS ---------------------------------------------------------------------------


@pytest.fixture
def tls_server(
    serve: Callable[..., LocalServer], network: FakeNetwork, tmp_path: Any
) -> LocalServer:
    """An HTTPS server for public.example, reached through a public address."""
    (tmp_path / "cert.pem").write_text(CERTIFICATE)
    (tmp_path / "key.pem").write_text(PRIVATE_KEY)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = serve({"/": ok(b"secure")}, tls_context=context)
    context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)
    network.names["public.example"] = [PUBLIC_IP]
    network.names["other.example"] = [PUBLIC_IP]
    network.route(PUBLIC_IP, 443, server)
    return server


def test_https_checks_the_certificate_against_the_name(
    tls_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(safe_fetch, "CA_CERTS", str(tmp_path / "cert.pem"))

    result = fetch("https://public.example/")

    assert result.body == b"secure"
    assert result.url == "https://public.example/"
    assert tls_server.server_names == ["public.example"]
    assert tls_server.requests[0].headers["host"] == "public.example"


def test_https_refuses_a_certificate_for_another_name(
    tls_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(safe_fetch, "CA_CERTS", str(tmp_path / "cert.pem"))

    assert fetch_error("https://other.example/").code == "connection"
    assert tls_server.requests == []


def test_https_refuses_an_untrusted_certificate(tls_server: LocalServer) -> None:
    assert fetch_error("https://public.example/").code == "connection"
    assert tls_server.requests == []
