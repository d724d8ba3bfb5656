"""Slack's Web API through the official `slack-sdk`: OAuth v2, channels, messages, people.

Every call goes to CHORUS_SLACK_API_URL (Slack's own address; tests point it at a local
stand-in). The SDK's own retries are off: the chat app's outbox retries with backoff, and
`_call` turns Slack's answers into the errors of `integrations.base` that say whether
trying again can help (https://api.slack.com/web#evaluating_responses: every answer is
`{"ok": true, ...}` or `{"ok": false, "error": "<code>"}`; 429 carries Retry-After).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.signature import SignatureVerifier

from chorus.integrations.base import (
    Credentials,
    PermanentError,
    ReconnectError,
    RetryableError,
    retry_after,
)
from chorus.integrations.capabilities import Click, PrivateReply, Workspace

logger = logging.getLogger(__name__)

# What the bot may do: post (announcements, digests, private answers), list the channels
# an admin picks from, and find people by id or e-mail.
BOT_SCOPES = (
    "chat:write",
    "channels:read",
    "groups:read",
    # To look for an announcement already posted before sending it again.
    "channels:history",
    "groups:history",
    "users:read",
    "users:read.email",
)
# The token no longer works: only the admin can connect the workspace again.
RECONNECT_ERRORS = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "team_access_not_granted",
}
# Slack is briefly unable to answer.
RETRY_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def is_enabled() -> bool:
    return bool(settings.CHORUS_SLACK_CLIENT_ID)


def web_client(token: str | None = None) -> WebClient:
    return WebClient(
        token=token,
        base_url=settings.CHORUS_SLACK_API_URL.rstrip("/") + "/",
        timeout=settings.CHORUS_CHAT_TIMEOUT,
        retry_handlers=[],
    )


def _call(method: Callable[..., Any], **arguments: Any) -> dict[str, Any]:
    """Call one Web API method; return its data or raise the error that says what to do."""
    try:
        response = method(**arguments)
    except SlackApiError as error:
        answer = error.response
        code = str(answer.get("error") or f"HTTP {answer.status_code}")
        if answer.status_code == 429 or code in RETRY_ERRORS or answer.status_code >= 500:
            wait = retry_after({k.lower(): v for k, v in (answer.headers or {}).items()})
            raise RetryableError(code, f"Slack: {code}", retry_after=wait) from error
        if code in RECONNECT_ERRORS:
            raise ReconnectError(code, f"Slack: {code}") from error
        raise PermanentError(code, f"Slack: {code}") from error
    except (URLError, OSError, SlackClientError) as error:
        raise RetryableError("slack_unreachable", f"Slack: {error}") from error
    return dict(response.data) if isinstance(response.data, dict) else {}


def _token(credentials: Credentials) -> str:
    token = credentials.get("access_token")
    if not token:
        raise ReconnectError("no_token", "The Slack workspace is not connected.")
    return str(token)


class SlackConnect:
    """An organisation admin connects a workspace with OAuth v2 (the bot token, encrypted
    by the chat app), then picks channels from conversations.list."""

    def enabled(self) -> bool:
        return is_enabled()

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        return AuthorizeUrlGenerator(
            client_id=settings.CHORUS_SLACK_CLIENT_ID,
            scopes=list(BOT_SCOPES),
            redirect_uri=redirect_uri,
            authorization_url=settings.CHORUS_SLACK_AUTHORIZE_URL,
        ).generate(state)

    def finish(self, code: str, redirect_uri: str) -> Workspace:
        answer = _call(
            web_client().oauth_v2_access,
            client_id=settings.CHORUS_SLACK_CLIENT_ID,
            client_secret=settings.CHORUS_SLACK_CLIENT_SECRET,
            code=code,
            redirect_uri=redirect_uri,
        )
        team = answer.get("team") or {}
        token = answer.get("access_token")
        if answer.get("token_type") != "bot" or not token or not team.get("id"):
            raise PermanentError("bad_answer", "Slack did not give a bot token.")
        credentials = {
            "access_token": token,
            "bot_user_id": answer.get("bot_user_id", ""),
            "app_id": answer.get("app_id", ""),
            "scope": answer.get("scope", ""),
        }
        return Workspace(str(team["id"]), str(team.get("name") or team["id"]), credentials)

    def channels(self, credentials: Credentials) -> list[tuple[str, str]]:
        """(id, name) of the workspace's unarchived channels, following Slack's cursor."""
        client = web_client(_token(credentials))
        found: list[tuple[str, str]] = []
        cursor = ""
        for _page in range(50):  # 50 pages of 200: more than any workspace we serve
            answer = _call(
                client.conversations_list,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor or None,
            )
            for channel in answer.get("channels") or []:
                if channel.get("id") and not channel.get("is_archived"):
                    found.append((str(channel["id"]), str(channel.get("name") or channel["id"])))
            cursor = str((answer.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return sorted(found, key=lambda pair: pair[1].lower())


METADATA_EVENT = "chorus_message"


def post_message(
    credentials: Credentials,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    key: str = "",
) -> str:
    """chat.postMessage; returns the message's `ts`. `key` goes in the message's metadata
    (https://api.slack.com/metadata/using) so that `find_posted` can find it again."""
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
    answer = _call(
        web_client(_token(credentials)).chat_postMessage,
        channel=channel,
        text=text,
        blocks=blocks,
        unfurl_links=False,
        metadata=metadata,
    )
    return str(answer.get("ts") or "")


def find_posted(credentials: Credentials, channel: str, key: str, since: datetime) -> str:
    """The `ts` of the bot's message carrying `key` posted in the channel since `since`, or
    "" (conversations.history with include_all_metadata, the latest 200 messages)."""
    answer = _call(
        web_client(_token(credentials)).conversations_history,
        channel=channel,
        oldest=f"{since.timestamp() - 60:.6f}",
        include_all_metadata=True,
        limit=200,
    )
    for message in answer.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
            return str(message.get("ts") or "")
    return ""


def lookup_user_by_email(credentials: Credentials, email: str) -> str:
    """users.lookupByEmail: the person's Slack id (PermanentError `users_not_found`)."""
    answer = _call(web_client(_token(credentials)).users_lookupByEmail, email=email)
    user = answer.get("user") or {}
    if not user.get("id"):
        raise PermanentError("users_not_found", "Slack: users_not_found")
    return str(user["id"])


class SlackInteractions:
    """Clicks on an announcement's "Share" button, POSTed by Slack to Chorus."""

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        """Slack's signature (v0, HMAC-SHA256 with the signing secret) and the five-minute
        replay window, as https://api.slack.com/authentication/verifying-requests-from-slack
        describes (slack_sdk.signature)."""
        secret = settings.CHORUS_SLACK_SIGNING_SECRET
        if not secret:
            return False
        lowered = {name.lower(): value for name, value in headers.items()}
        if not lowered.get("x-slack-request-timestamp", "").isdigit():
            return False
        return SignatureVerifier(secret).is_valid_request(body, lowered)

    def click(self, body: bytes) -> Click | None:
        """The click in a `block_actions` payload (a form field `payload` holding JSON)."""
        fields = parse_qs(body.decode("utf-8", "replace"))
        try:
            payload = json.loads(fields.get("payload", [""])[0])
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("type") != "block_actions":
            return None
        actions = [a for a in payload.get("actions") or [] if isinstance(a, dict)]
        share = next((a for a in actions if a.get("action_id") == SHARE_ACTION), None)
        team = payload.get("team") or {}
        user = payload.get("user") or {}
        channel = payload.get("channel") or (payload.get("container") or {})
        channel_id = channel.get("id") or channel.get("channel_id") or ""
        if share is None or not team.get("id") or not user.get("id") or not channel_id:
            return None
        click_id = str(payload.get("trigger_id") or share.get("action_ts") or "")
        return Click(
            workspace=str(team["id"]),
            user=str(user["id"]),
            channel=str(channel_id),
            value=str(share.get("value") or ""),
            click_id=click_id,
        )

    def email(self, credentials: Credentials, user: str) -> str:
        """users.info: the clicker's e-mail ("" when Slack does not show it)."""
        answer = _call(web_client(_token(credentials)).users_info, user=user)
        profile = (answer.get("user") or {}).get("profile") or {}
        return str(profile.get("email") or "")

    def reply(self, credentials: Credentials, channel: str, user: str, reply: PrivateReply) -> None:
        """chat.postEphemeral: only the person who clicked sees it."""
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(reply.text)}}
        ]
        if reply.link_url:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": reply.link_label[:75]},
                            "url": reply.link_url,
                            "style": "primary",
                            "action_id": "chorus_open",
                        }
                    ],
                }
            )
        _call(
            web_client(_token(credentials)).chat_postEphemeral,
            channel=channel,
            user=user,
            text=reply.text,
            blocks=blocks,
        )


SHARE_ACTION = "chorus_share"


def escape(text: str) -> str:
    """Slack's mrkdwn escaping (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
