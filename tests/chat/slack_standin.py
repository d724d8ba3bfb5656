"""A contract stand-in for the Slack Web API methods Chorus calls, and a signer of the
requests Slack sends to Chorus.

Slack cannot run here, so this is a small threaded HTTP server on 127.0.0.1 (a free port)
that stops itself when its block ends. It implements only what Chorus calls, with the
shapes Slack's documentation publishes; where the documentation is silent, the behaviour is
marked "stand-in's choice".

- The envelope (api.slack.com/web, "Evaluating responses"): every answer is HTTP 200 with
  JSON `{"ok": true, ...}` or `{"ok": false, "error": "<code>"}`; a bot token comes as
  `Authorization: Bearer xoxb-…` ("Authentication"); a missing token → `not_authed`, an
  unknown one → `invalid_auth`. Rate limits (api.slack.com/docs/rate-limits): HTTP 429 with
  `Retry-After` (seconds) and `{"ok": false, "error": "ratelimited"}`.
- `GET /oauth/v2/authorize` (api.slack.com/authentication/oauth-v2: `client_id`, `scope`,
  `redirect_uri`, `state`) → 302 to redirect_uri with `code` and `state`: the admin allows at
  once (stand-in's choice: there is nobody to click "Allow"); an unknown client → 400.
- `oauth.v2.access` (api.slack.com/methods/oauth.v2.access; client credentials as HTTP
  Basic or as `client_id`/`client_secret` form fields, `code`, `redirect_uri`) →
  `{ok, access_token: "xoxb-…", token_type: "bot", scope, bot_user_id, app_id, team: {name,
  id}, enterprise: null, authed_user: {id}}`; a bad code → `invalid_code`, a bad client →
  `invalid_client_id` / `bad_client_secret`, a redirect_uri other than the authorize
  request's → `bad_redirect_uri`. A code works once (stand-in's choice: Slack says codes
  expire after ten minutes).
- `conversations.list` (api.slack.com/methods/conversations.list; `types`,
  `exclude_archived`, `limit`, `cursor`) → `{ok, channels: [{id, name, is_channel,
  is_private, is_archived, is_member}], response_metadata: {next_cursor}}`; cursor-based
  pagination (api.slack.com/docs/pagination): an empty `next_cursor` ends it.
- `chat.postMessage` (api.slack.com/methods/chat.postMessage; JSON or form; `channel`,
  `text`, `blocks`) → `{ok, channel, ts, message: {text, blocks, bot_id, ts, type}}`;
  unknown channel → `channel_not_found`; the bot not in a private channel →
  `not_in_channel`; neither text nor blocks → `no_text`; invalid blocks → `invalid_blocks`
  (checked against the Block Kit reference, api.slack.com/reference/block-kit: known block
  types, a section's text ≤ 3000, a button's plain_text ≤ 75, a button's value ≤ 2000,
  action_id ≤ 255, at most 25 elements in an actions block; stand-in's choice: only the
  block types Chorus uses are known). A user id as `channel` posts to the app's messages
  with that person (a direct message).
  `metadata` (api.slack.com/metadata/using: `{event_type, event_payload}`) is kept with the
  message.
- `conversations.history` (api.slack.com/methods/conversations.history; `channel`,
  `oldest`, `limit`, `include_all_metadata`) → `{ok, messages: [{type, ts, text, metadata?}],
  has_more}`, newest first; metadata only when `include_all_metadata` is true.
- `chat.postEphemeral` (api.slack.com/methods/chat.postEphemeral; `channel`, `user`,
  `text`, `blocks`) → `{ok, message_ts}`; a user who is not in the channel →
  `user_not_in_channel`.
- `users.info` (api.slack.com/methods/users.info; `user`) → `{ok, user: {id, team_id, name,
  real_name, deleted, is_bot, profile: {email, real_name, display_name}}}` (the e-mail
  needs the `users:read.email` scope, else the field is absent); unknown → `user_not_found`.
- `users.lookupByEmail` (api.slack.com/methods/users.lookupByEmail; `email`) → `{ok,
  user: {…as above}}`; unknown → `users_not_found`.

Interactive requests (api.slack.com/interactivity/handling, "block_actions" payloads:
api.slack.com/reference/interaction-payloads/block-actions) are POSTed by Slack as a form
with one field, `payload`, holding JSON, and signed as
api.slack.com/authentication/verifying-requests-from-slack describes: `X-Slack-Request-
Timestamp` and `X-Slack-Signature: v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with
the app's signing secret. `signed_click` builds one, computed here by hand from that page
(not with the SDK Chorus uses to check it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.servers import serve_in_thread

KNOWN_BLOCKS = {"section", "actions", "context", "header", "divider"}


@dataclass
class SlackStandIn:
    client_id: str = "1234.5678"
    client_secret: str = "s3cret"
    team_id: str = "T0CHORUS"
    team_name: str = "Acme Slack"
    port: int = 0
    # channel id → (name, private, bot is a member)
    channels: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)
    # user id → e-mail
    archived: set[str] = field(default_factory=set)
    users: dict[str, str] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)  # code → redirect_uri
    page_size_cap: int = 0  # stand-in's choice for tests: force small pages
    # method → list of (HTTP status, error, Retry-After) answers to give before the real one.
    failures: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # channel → the messages posted there, oldest first.
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Post the next message, then answer 500 as if it failed (stand-in's choice, to stand
    # for an answer lost on the way back).
    lose_next_answer: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/v2/authorize"

    def issue_code(self, redirect_uri: str) -> str:
        """What the consent page does when the admin clicks "Allow"."""
        code = secrets.token_hex(8)
        self.codes[code] = redirect_uri
        return code

    def add_user(self, user_id: str, email: str) -> None:
        self.users[user_id] = email

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [arguments for name, arguments in self.calls if name == method]

    def fail(self, method: str, status: int, error: str, retry_after: str = "") -> None:
        self.failures.setdefault(method, []).append((status, error, retry_after))

    # --- the methods ---------------------------------------------------------------------

    def answer(
        self, method: str, arguments: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.calls.append((method, arguments))
            queued = self.failures.get(method)
            if queued:
                status, error, retry_after = queued.pop(0)
                extra = {"Retry-After": retry_after} if retry_after else {}
                return status, {"ok": False, "error": error}, extra
        if method == "oauth.v2.access":
            return 200, self._oauth(arguments, headers), {}
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if token not in self.tokens:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = {
            "conversations.list": self._conversations_list,
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "chat.postEphemeral": self._post_ephemeral,
            "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email,
        }.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        result = handler(arguments)
        if method == "chat.postMessage" and self.lose_next_answer and result.get("ok"):
            self.lose_next_answer = False
            return 500, {"ok": False, "error": "internal_error"}, {}
        return 200, result, {}

    def _oauth(self, arguments: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        client_id, client_secret = (
            arguments.get("client_id", ""),
            arguments.get("client_secret", ""),
        )
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _sep, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        code = arguments.get("code", "")
        if code not in self.codes:
            return {"ok": False, "error": "invalid_code"}
        if self.codes.pop(code) != arguments.get("redirect_uri", ""):
            return {"ok": False, "error": "bad_redirect_uri"}
        token = "xoxb-" + secrets.token_hex(12)
        self.tokens.add(token)
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "chat:write,channels:read,groups:read,users:read,users:read.email",
            "bot_user_id": "U0BOT",
            "app_id": "A0CHORUS",
            "team": {"name": self.team_name, "id": self.team_id},
            "enterprise": None,
            "authed_user": {"id": "U0ADMIN"},
        }

    def _conversations_list(self, arguments: dict[str, Any]) -> dict[str, Any]:
        limit = int(arguments.get("limit") or 100)
        if self.page_size_cap:
            limit = min(limit, self.page_size_cap)
        exclude_archived = str(arguments.get("exclude_archived", "")).lower() in ("true", "1")
        ids = sorted(
            cid for cid in self.channels if not (exclude_archived and cid in self.archived)
        )
        start = int(arguments.get("cursor") or 0)
        page = ids[start : start + limit]
        following = start + limit
        return {
            "ok": True,
            "channels": [
                {
                    "id": cid,
                    "name": self.channels[cid][0],
                    "is_channel": True,
                    "is_private": self.channels[cid][1],
                    "is_archived": cid in self.archived,
                    "is_member": self.channels[cid][2],
                }
                for cid in page
            ],
            "response_metadata": {"next_cursor": str(following) if following < len(ids) else ""},
        }

    def _post_message(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = str(arguments.get("channel", ""))
        if channel not in self.channels and channel not in self.users:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channels and self.channels[channel][1] and not self.channels[channel][2]:
            return {"ok": False, "error": "not_in_channel"}
        blocks = _blocks(arguments.get("blocks"))
        if blocks is None:
            return {"ok": False, "error": "invalid_blocks"}
        if not arguments.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        # Slack's ts: the posting time in seconds, unique in the channel.
        ts = f"{int(time.time())}.{len(self.calls):06d}"
        metadata = arguments.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        stored = {"type": "message", "ts": ts, "text": arguments.get("text", "")}
        if metadata:
            stored["metadata"] = metadata
        self.history.setdefault(channel, []).append(stored)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {
                "type": "message",
                "text": arguments.get("text", ""),
                "blocks": blocks,
                "bot_id": "B0CHORUS",
                "ts": ts,
            },
        }

    def _history(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = str(arguments.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(arguments.get("oldest") or 0)
        with_metadata = str(arguments.get("include_all_metadata", "")).lower() in ("true", "1")
        messages = [
            {k: v for k, v in message.items() if with_metadata or k != "metadata"}
            for message in reversed(self.history.get(channel, []))
            if float(message["ts"]) > oldest
        ]
        limit = int(arguments.get("limit") or 100)
        return {"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit}

    def _post_ephemeral(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(arguments.get("channel", "")), str(arguments.get("user", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if user not in self.users:
            return {"ok": False, "error": "user_not_in_channel"}
        if _blocks(arguments.get("blocks")) is None:
            return {"ok": False, "error": "invalid_blocks"}
        return {"ok": True, "message_ts": "1700000000.000200"}

    def _user(self, user_id: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": self.users[user_id].split("@")[0],
            "real_name": self.users[user_id],
            "deleted": False,
            "is_bot": False,
            "profile": {"email": self.users[user_id], "real_name": "", "display_name": ""},
        }

    def _users_info(self, arguments: dict[str, Any]) -> dict[str, Any]:
        user_id = str(arguments.get("user", ""))
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(user_id)}

    def _lookup_by_email(self, arguments: dict[str, Any]) -> dict[str, Any]:
        email = str(arguments.get("email", "")).lower()
        found = next((uid for uid, address in self.users.items() if address.lower() == email), None)
        if found is None:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": self._user(found)}


def _blocks(raw: Any) -> list[dict[str, Any]] | None:
    """The blocks if they follow the Block Kit reference (for the types Chorus uses)."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, list) or len(raw) > 50:
        return None
    for block in raw:
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            return None
        kind = block["type"]
        if kind == "section":
            text = block.get("text") or {}
            if (
                text.get("type") not in ("mrkdwn", "plain_text")
                or not 0 < len(text.get("text", "")) <= 3000
            ):
                return None
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                return None
        if kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                return None
        if kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                return None
            for element in elements:
                if element.get("type") != "button":
                    return None
                text = element.get("text") or {}
                if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 75:
                    return None
                if (
                    len(str(element.get("action_id", ""))) > 255
                    or len(str(element.get("value", ""))) > 2000
                ):
                    return None
                if "url" in element and not str(element["url"]).startswith(("http://", "https://")):
                    return None
                if element.get("style") not in (None, "primary", "danger"):
                    return None
    return raw


@contextmanager
def slack_standin(**options: Any) -> Iterator[SlackStandIn]:
    """Serve the stand-in on 127.0.0.1 until the block ends."""
    state = SlackStandIn(**options)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, arguments: dict[str, Any]) -> None:
            path = urlsplit(self.path).path
            if not path.startswith("/api/"):
                self.send_error(404)
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = state.answer(path.removeprefix("/api/"), arguments, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            arguments = {key: values[0] for key, values in query.items()}
            if urlsplit(self.path).path == "/oauth/v2/authorize":
                self._consent(arguments)
                return
            self._serve(arguments)

        def _consent(self, arguments: dict[str, str]) -> None:
            redirect_uri = arguments.get("redirect_uri", "")
            if arguments.get("client_id") != state.client_id or not redirect_uri:
                self.send_error(400)
                return
            code = state.issue_code(redirect_uri)
            query = urlencode({"code": code, "state": arguments.get("state", "")})
            self.send_response(302)
            self.send_header("Location", f"{redirect_uri}?{query}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("application/json"):
                arguments = json.loads(raw or b"{}")
            else:
                arguments = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
            query = parse_qs(urlsplit(self.path).query)
            arguments.update({key: values[0] for key, values in query.items()})
            self._serve(arguments)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    with serve_in_thread(server):
        yield state


def signed_click(
    signing_secret: str,
    timestamp: int,
    *,
    team: str,
    user: str,
    channel: str,
    value: str,
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
) -> tuple[bytes, dict[str, str]]:
    """A block_actions payload for a click on the "Share" button, and Slack's headers."""
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": "someone", "team_id": team},
        "api_app_id": "A0CHORUS",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "channel": {"id": channel, "name": "general"},
        "response_url": "https://hooks.slack.com/actions/T0/1/abc",
        "actions": [
            {
                "action_id": "chorus_share",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Share"},
                "value": value,
                "type": "button",
                "action_ts": str(timestamp) + ".000300",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    base = b"v0:" + str(timestamp).encode() + b":" + body
    signature = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
    }
