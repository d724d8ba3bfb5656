"""A webhook receiver on 127.0.0.1 for tests: verifies Standard Webhooks signatures with the
`standardwebhooks` library, fails on purpose when told to, and logs what it acknowledged.

In a thread (`receiver()`), or as its own process (`python -m tests.webhook_receiver`) so that
a test can kill it mid-run: the process appends one JSON line per acknowledged message to its
log, after the answer was sent, and syncs it to disk.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.servers import serve_in_thread


@dataclass
class Receiver:
    secret: str
    port: int = 0
    # webhook-id → how many more times to answer 500 to it.
    fail_times: dict[str, int] = field(default_factory=dict)
    fail_all: bool = False
    received: list[str] = field(default_factory=list)  # every webhook-id, in arrival order
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # bad signatures
    log_path: str = ""
    # After this many acknowledgements, the next request is held unanswered (a test kills
    # the process then); 0: never.
    hold_after: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def acked_ids(self, count: int = 0, timeout: float = 10.0) -> list[str]:
        """The acknowledged ids, once there are at least `count` (the receiver records an
        acknowledgement just after answering, so the sender may be a step ahead)."""
        with self.lock:
            self.lock.wait_for(lambda: len(self.acknowledged) >= count, timeout=timeout)
            return [entry["id"] for entry in self.acknowledged]

    def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
        try:
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.rejected.append(headers.get("webhook-id", ""))
            return 401, None
        message_id = headers["webhook-id"]
        if self.hold_after and len(self.acknowledged) >= self.hold_after:
            with open(self.log_path + ".inflight", "a") as marker:
                marker.write(message_id + "\n")
            threading.Event().wait()  # until the test kills the process
        with self.lock:
            self.received.append(message_id)
            if self.fail_all:
                return 500, None
            if self.fail_times.get(message_id, 0) > 0:
                self.fail_times[message_id] -= 1
                return 500, None
        return 204, {"id": message_id, "type": event["type"], "data": event["data"]}

    def acknowledge(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.acknowledged.append(entry)
            self.lock.notify_all()
            if self.log_path:
                with open(self.log_path, "a") as log:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                    os.fsync(log.fileno())


def make_server(state: Receiver) -> HTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, entry = state.answer(body, headers)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
            if entry is not None:
                state.acknowledge(entry)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    # One request at a time: the sender delivers an endpoint's messages one after the other,
    # and a request is acknowledged (after its answer went out) before the next is read, so
    # the acknowledgements keep the order of delivery.
    server = HTTPServer(("127.0.0.1", state.port), Handler)
    state.port = server.server_address[1]
    return server


@contextmanager
def receiver(secret: str) -> Iterator[Receiver]:
    """A receiver in a thread of this process, stopped when the block ends."""
    state = Receiver(secret=secret)
    with serve_in_thread(make_server(state)):
        yield state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--travel", type=float, help="pretend the clock started at this epoch")
    parser.add_argument("--hold-after", type=int, default=0)
    args = parser.parse_args()
    if args.travel:
        import time_machine

        time_machine.travel(args.travel, tick=True).start()
    state = Receiver(
        secret=args.secret, port=args.port, log_path=args.log, hold_after=args.hold_after
    )
    server = make_server(state)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
