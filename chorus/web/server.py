"""One web process of `chorus serve`: waitress on a listening socket inherited from the supervisor.

Why waitress and not gunicorn's threads in the embedded profile, where Chorus faces clients
directly: gunicorn's gthread worker hands a connection to a thread as soon as it is accepted, and
the thread then reads the request's headers with a blocking socket. 32 clients sending one header
line every 2 s held its 2 x 4 threads and `/healthz` went unanswered for 40 s. Waitress reads
and buffers whole requests (headers and body) in an event loop (asyncore) and gives a thread only
a complete request, so slow clients cost a buffered connection each, not a thread
(`benchmarks/slow-clients` measures it). It also refuses a body whose Content-Length exceeds
the largest page limit before reading it, and counts chunked bodies while reading them
(chorus.web.limits then applies each page's own, smaller limit).

The supervisor (`chorus serve`) binds the address once and passes the socket's descriptor to each
web process, so a web process that dies is replaced without the address ever being free, and
the others keep serving meanwhile.

The scale-out profile keeps gunicorn (sync or gthread workers) behind a reverse proxy that
buffers requests and enforces timeouts and body limits (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger("chorus.access")

# Idle connections (a client that stopped sending) are closed after this many seconds.
CHANNEL_TIMEOUT = 60
# Connections one web process keeps open at most (slow ones included) before it stops accepting.
CONNECTION_LIMIT = 1000


def access_log(application: Callable[..., Any]) -> Callable[..., Any]:
    """A line per request, as gunicorn's access log printed: peer, request line, status, time."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        status = ["-"]

        def remember(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, *args)

        try:
            return application(environ, remember)  # type: ignore[no-any-return]
        finally:
            query = environ.get("QUERY_STRING")
            logger.info(
                '%s "%s %s%s %s" %s %.1fms',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                f"?{query}" if query else "",
                environ.get("SERVER_PROTOCOL"),
                status[0],
                (time.monotonic() - started) * 1000,
            )

    return logged


def limited_channel(limit_for_path: Callable[[str], int]) -> type:
    """Waitress's connection class, refusing a body over its page's limit once headers are in.

    Waitress itself only knows one limit (`max_request_body_size`, the largest page's); this
    parser applies the page's own as soon as the request line and headers are parsed, so a
    login POST declaring 5 MB is answered 413 at once instead of being buffered first.
    """
    from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
    from waitress.parser import HTTPRequestParser  # type: ignore[import-untyped]
    from waitress.utilities import RequestEntityTooLarge  # type: ignore[import-untyped]

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        limit: int | None = None

        def received(self, data: bytes) -> int:
            consumed: int = super().received(data)
            if not self.headers_finished or getattr(self, "error", None) is not None:
                return consumed
            if self.limit is None:
                self.limit = limit_for_path(self.path or "/")
            # The declared length at once; a chunked body's length as it arrives.
            if max(self.content_length, self.body_bytes_received) > self.limit:
                self.error = RequestEntityTooLarge(f"This page takes {self.limit} bytes at most.")
                self.completed = True
            return consumed

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = Parser

    return Channel


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One Chorus web process (started by `serve`).")
    parser.add_argument("--fd", type=int, required=True, help="The listening socket's descriptor.")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--app",
        default="",
        help="MODULE:CALLABLE served instead of Chorus (benchmarks/redirect's bare baseline).",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    from waitress.server import create_server  # type: ignore[import-untyped]

    from chorus import wsgi  # sets Django up first
    from chorus.web.limits import largest_limit, limit_for_path

    logging.getLogger("chorus.access").setLevel(logging.INFO)
    listener = socket.socket(fileno=args.fd)
    limit_for_path("/")  # load the URL configuration now, not in the first request's loop
    channel = limited_channel(limit_for_path)
    application = wsgi.application
    if args.app:
        module, _, name = args.app.partition(":")
        application = getattr(importlib.import_module(module), name)
    server = create_server(
        access_log(application),
        sockets=[listener],
        threads=args.threads,
        # A larger declared body is answered 413 before any of it is read; chunked bodies are
        # counted as they arrive.
        max_request_body_size=largest_limit() + 1,
        channel_timeout=CHANNEL_TIMEOUT,
        connection_limit=CONNECTION_LIMIT,
        # X-Forwarded-For/-Proto are Django's to judge (CHORUS_PROXY_COUNT, CHORUS_HTTPS).
        clear_untrusted_proxy_headers=False,
        ident="Chorus",
    )
    server.channel_class = channel

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(0)  # waitress's loop closes its sockets and lets running requests end

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    finally:
        # The supervisor still holds the listening socket; this process only lets go of its copy.
        sys.stdout.flush()


if __name__ == "__main__":
    main()
