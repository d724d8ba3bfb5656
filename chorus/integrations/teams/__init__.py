"""Microsoft Teams: announcements posted to a channel through its incoming-webhook or
Workflows URL as Adaptive Cards, and digests to a person's own Workflows URL."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Announcement, ChatTool, Digest
from chorus.integrations.teams import cards
from chorus.integrations.teams.client import check_url, post


def announce(
    credentials: Credentials, target: dict[str, Any], message: Announcement, key: str
) -> str:
    return post(str(target["url"]), cards.announcement(message))


def direct_digest(
    credentials: Credentials, target: dict[str, Any], email: str, message: Digest
) -> str:
    return post(str(target["url"]), cards.digest(message))


chat_tool = ChatTool(
    key="teams",
    label=_("Microsoft Teams"),
    announce=announce,
    direct_digest=direct_digest,
    channel_url_check=check_url,
    personal_url=True,
)
