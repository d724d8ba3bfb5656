"""Slack: a workspace connected with OAuth v2 by an organisation admin; announcements in
the channels they pick (Block Kit, with a "Share" button), and digests as direct messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Announcement, ChatTool, Digest
from chorus.integrations.slack import blocks
from chorus.integrations.slack.client import (
    SlackConnect,
    SlackInteractions,
    find_posted,
    lookup_user_by_email,
    post_message,
)


def announce(
    credentials: Credentials, target: dict[str, Any], message: Announcement, key: str
) -> str:
    text, layout = blocks.announcement(message)
    return post_message(credentials, str(target["channel"]), text, layout, key)


def find_announcement(
    credentials: Credentials, target: dict[str, Any], key: str, since: datetime
) -> str:
    return find_posted(credentials, str(target["channel"]), key, since)


def direct_digest(
    credentials: Credentials, target: dict[str, Any], email: str, message: Digest
) -> str:
    """A direct message from the bot: posting to a person's id lands in their messages with
    the app (https://api.slack.com/methods/chat.postMessage#app_home)."""
    user = lookup_user_by_email(credentials, email)
    text, layout = blocks.digest(message)
    return post_message(credentials, user, text, layout)


chat_tool = ChatTool(
    key="slack",
    label=_("Slack"),
    announce=announce,
    direct_digest=direct_digest,
    connect=SlackConnect(),
    interactions=SlackInteractions(),
    find_announcement=find_announcement,
)
