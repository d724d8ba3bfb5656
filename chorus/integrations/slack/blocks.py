"""Chorus's messages as Slack Block Kit (https://api.slack.com/reference/block-kit/blocks).

Every text a person reads is written in the organisation's or person's language by the
caller; this module only lays it out. Plain-text fields are cut to Slack's limits (a
button's text: 75 characters; a section's text: 3000).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from chorus.integrations.capabilities import Announcement, Digest
from chorus.integrations.slack.client import SHARE_ACTION, escape


def _link(url: str, text: str) -> str:
    return f"<{url}|{escape(text)}>" if url else escape(text)


def announcement(message: Announcement) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of an announcement, with its "Share" button."""
    if message.kind == "campaign":
        intro = _("New campaign in %(org)s") % {"org": message.org_name}
    else:
        intro = _("New in %(org)s's library") % {"org": message.org_name}
    text = f"{intro}: {message.title}"
    body = f"*{_link(message.url or message.open_url, message.title)}*"
    if message.summary:
        body += "\n" + escape(message.summary)
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(intro)}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
    ]
    buttons: list[dict[str, Any]] = []
    if message.share_value:
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": _("Share")[:75]},
                "style": "primary",
                "action_id": SHARE_ACTION,
                "value": message.share_value,
            }
        )
    buttons.append(
        {
            "type": "button",
            "text": {"type": "plain_text", "text": _("Open in Chorus")[:75]},
            "url": message.open_url,
            "action_id": "chorus_open",
        }
    )
    blocks.append({"type": "actions", "elements": buttons})
    return text, blocks


def digest(message: Digest) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a person's digest."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.heading[:150]}},
    ]
    if message.lines:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "\n".join(escape(line) for line in message.lines),
                },
            }
        )
    if message.items:
        items = "\n".join(f"• {_link(item.url, item.title)}" for item in message.items)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": items[:3000]}})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": message.feed_label[:75]},
                    "url": message.feed_url,
                    "action_id": "chorus_feed",
                }
            ],
        }
    )
    return message.heading, blocks
