"""Posting to a Microsoft Teams channel (or a person's chat) through an incoming webhook or a
Workflows ("Post to a channel when a webhook request is received") URL.

The URL is a secret given by an admin or a person: it is checked here when it is saved,
kept encrypted by the chat app, and every POST goes through `chorus.lib.safe_fetch` (public
addresses only, bounded time and size). The body is a message with one Adaptive Card
attachment, as https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
describes; Workflows answer 202, classic incoming webhooks 200.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from chorus.integrations.base import PermanentError, RetryableError, retry_after
from chorus.lib import safe_fetch

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_RESPONSE_BYTES = 16 * 1024


def check_url(url: str) -> str:
    """The URL, stripped, if it can be a webhook URL; ValueError with the reason if not."""
    url = url.strip()
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.CHORUS_ALLOW_PRIVATE_URLS else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValueError("A Teams webhook or Workflows URL starts with https://.")
    if parts.username or parts.password:
        raise ValueError("The URL must not carry a user name or password.")
    if len(url) > 2000:
        raise ValueError("The URL is too long.")
    return url


def message(card: dict[str, Any]) -> dict[str, Any]:
    """The webhook body: a message carrying one Adaptive Card."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def post(url: str, card: dict[str, Any]) -> str:
    """POST the card; returns "" (webhooks give no message id). Raises the errors of `base`."""
    body = json.dumps(message(card), ensure_ascii=False).encode()
    try:
        response = safe_fetch.request(
            "POST",
            url,
            body=body,
            headers={"Content-Type": "application/json"},
            max_bytes=MAX_RESPONSE_BYTES,
            timeout=settings.CHORUS_CHAT_TIMEOUT,
        )
    except safe_fetch.FetchError as error:
        if error.code in ("invalid_url", "blocked_address"):
            raise PermanentError(error.code, error.message) from error
        raise RetryableError(error.code, error.message) from error
    if 200 <= response.status < 300:
        return ""
    excerpt = response.body[:200].decode("utf-8", "replace")
    if response.status == 429 or response.status >= 500:
        raise RetryableError(
            "http_error",
            f"Teams answered HTTP {response.status}: {excerpt}",
            retry_after=retry_after(response.headers),
        )
    # 400: the card was refused; 401/403/404: the URL was removed or its flow turned off.
    raise PermanentError("http_error", f"Teams answered HTTP {response.status}: {excerpt}")
