"""A real Mastodon stand-in on 127.0.0.1 for the client's tests, and a proxy that loses
answers.

The stand-in is the `mastodon-mock` package's server (`mastodon_mock serve`), run as its
own process with an in-memory database. Its seeded account is `testuser`, whose token is
`mock_token`. It also offers mock-only endpoints the tests use: `/api/v1/_mock/faults`
(force a status such as 429 or 503 on the next matching request) and an account picker
at `/oauth/authorize` standing in for the person's browser.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.servers import free_port as free_port
from tests.servers import stop_process, wait_for

TOKEN = "mock_token"
USERNAME = "testuser"
START_TIMEOUT = 60  # seconds; the machine is shared, a cold start can be slow


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class MockMastodon:
    """The running mock, seen from the test's side (not through the client under test)."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def credentials(self, token: str = TOKEN) -> dict[str, Any]:
        return {"instance": self.url, "access_token": token, "client_id": "", "client_secret": ""}

    def http(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        """One request straight to the mock; redirects are returned, never followed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return HttpAnswer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def add_fault(self, rule: dict[str, Any]) -> None:
        """Make the mock misbehave on matching requests (see its fault-injection spec)."""
        answer = self.http(
            "POST",
            "/api/v1/_mock/faults",
            body=json.dumps(rule).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 200, answer.body

    def clear_faults(self) -> None:
        self.http("DELETE", "/api/v1/_mock/faults")

    def statuses(self, token: str = TOKEN) -> list[dict[str, Any]]:
        """The latest statuses of the token's account, newest first."""
        auth = {"Authorization": f"Bearer {token}"}
        account = self.http("GET", "/api/v1/accounts/verify_credentials", headers=auth).json()
        path = f"/api/v1/accounts/{account['id']}/statuses?limit=40"
        return list(self.http("GET", path, headers=auth).json())

    def status(self, status_id: str) -> dict[str, Any]:
        return dict(self.http("GET", f"/api/v1/statuses/{status_id}").json())

    def choose_account(self, client_id: str, redirect_uri: str, state: str) -> str:
        """Do what the person does on the authorize page; return where it redirects."""
        form = {
            "username": USERNAME,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "write:statuses read:accounts",
            "state": state,
        }
        answer = self.http(
            "POST",
            "/oauth/authorize",
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 302, answer.body
        return answer.headers["location"]


@contextlib.contextmanager
def running_mock(workdir: Path) -> Iterator[MockMastodon]:
    """Run `mastodon_mock serve` on a free loopback port until the block ends."""
    script = Path(sys.executable).parent / "mastodon_mock"
    port = free_port()
    log_path = workdir / "mastodon_mock.log"
    with log_path.open("wb") as log:
        # The mock reads ./pyproject.toml and ./.mastodon_mock.toml: start it in an
        # empty directory so only its defaults apply.
        process = subprocess.Popen(
            [
                str(script),
                "serve",
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            server = MockMastodon(port)
            _wait_until_up(server, process, log_path)
            yield server
        finally:
            stop_process(process)


def _wait_until_up(server: MockMastodon, process: subprocess.Popen[bytes], log: Path) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"mastodon_mock exited: {log.read_text(errors='replace')}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            return server.http("GET", "/api/v2/instance").status == 200
        return False

    wait_for(up, START_TIMEOUT, f"mastodon_mock to answer ({log})")


@dataclass
class AnswerLosingProxy:
    """Carries requests to a loopback server but never carries its answers back, as when
    a connection dies after the server acted: the client waits, then times out.

    `answered` is set once the server has answered (so the status exists)."""

    upstream_port: int
    answered: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    _listener: socket.socket | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AnswerLosingProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._start(self._accept_loop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in [*self._sockets, self._listener]:
            if sock is not None:
                sock.close()

    def _start(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for sock in (client, upstream):
                sock.settimeout(0.1)
                self._sockets.append(sock)
            self._start(self._pump, client, upstream)
            self._start(self._swallow, upstream)

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            destination.sendall(data)

    def _swallow(self, upstream: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                data = upstream.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.answered.set()
