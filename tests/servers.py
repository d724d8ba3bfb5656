"""The one harness for the servers tests start, all on 127.0.0.1 and all stopped by the
test that started them: a free port, waiting for a condition with a deadline, an HTTP server
in a thread (`serve_in_thread`, `local_server` with canned routes), a child process stopped
whatever happens (`stop_process`), and the Node test servers (`node_server`: tests/pds,
tests/oidc, tests/saml), which print one JSON line when ready and exit when their stdin
closes, so they stop with the run even if pytest dies."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

Handler = Callable[[BaseHTTPRequestHandler], None]
STOP_TIMEOUT = 10  # seconds


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, *, interval: float = 0.05
) -> Any:
    """Poll `condition` (every `interval` seconds) until it returns something true, or fail
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        time.sleep(interval)


@contextmanager
def serve_in_thread(server: HTTPServer) -> Iterator[HTTPServer]:
    """Serve `server` (bound to 127.0.0.1) from a daemon thread until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_TIMEOUT)


def stop_process(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """Stop a child: close its stdin if it has one (the Node servers' signal) and wait,
    else terminate it; kill it if it is still there after `timeout` seconds."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


@contextmanager
def node_server(
    directory: Path,
    *,
    packages: tuple[str, ...],
    what: str,
    ready_key: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    start_timeout: float = 30,
) -> Iterator[dict[str, Any]]:
    """Run `directory`/server.mjs until the block ends; its JSON ready line (the first
    object with `ready_key`). Fails the test clearly when Node or the packages are missing."""
    missing = [
        package
        for package in packages
        if not (directory / "node_modules" / package / "package.json").exists()
    ]
    if missing:
        pytest.fail(
            f"The {what} is not installed ({', '.join(missing)} missing in "
            f"{directory / 'node_modules'}): run `make test`, which installs it.",
            pytrace=False,
        )
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is needed to run the {what}: install node 20.")
    log_path = workdir / f"{directory.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(directory / "server.mjs")],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, **(env or {})},
        )
        try:
            yield _ready_line(process, ready_key, what, log_path, start_timeout)
        finally:
            stop_process(process)


def _ready_line(
    process: subprocess.Popen[bytes], key: str, what: str, log_path: Path, timeout: float
) -> dict[str, Any]:
    """Wait (at most `timeout` seconds) for the JSON line that says where the server listens."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if not line:
            process.wait(timeout=STOP_TIMEOUT)
            raise RuntimeError(f"The {what} exited: {log_path.read_text(errors='replace')}")
        with contextlib.suppress(ValueError):
            ready = json.loads(line)
            if isinstance(ready, dict) and key in ready:
                return ready
    raise RuntimeError(
        f"The {what} was not ready after {timeout} s: {log_path.read_text(errors='replace')}"
    )


@dataclass
class LocalServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def respond(
        self,
        path: str,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(body)

        self.routes[path] = handler

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = handler


@contextmanager
def local_server() -> Iterator[LocalServer]:
    """Serve on 127.0.0.1 (a free port) until the block ends."""
    state = LocalServer()

    class RequestHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            handler = state.routes.get(self.path.split("?")[0])
            if handler is None:
                self.send_error(404)
                return
            # The client may stop reading on purpose (size limits).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    with serve_in_thread(server):
        yield state
