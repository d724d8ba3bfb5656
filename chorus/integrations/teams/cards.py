"""Chorus's messages as Adaptive Cards (version 1.5, what Teams renders; schema:
http://adaptivecards.io/schemas/adaptive-card.json). Texts come in the reader's language
from the caller; this module only lays them out."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from chorus.integrations.capabilities import Announcement, Digest

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def _card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]], language: str
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": SCHEMA,
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": body,
        "actions": actions,
    }
    if language:
        card["lang"] = language
    return card


def announcement(message: Announcement) -> dict[str, Any]:
    """The announcement, with a "Share" button that opens the composer in Chorus."""
    if message.kind == "campaign":
        intro = _("New campaign in %(org)s") % {"org": message.org_name}
    else:
        intro = _("New in %(org)s's library") % {"org": message.org_name}
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": intro, "size": "Small", "isSubtle": True, "wrap": True},
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
    ]
    if message.summary:
        body.append({"type": "TextBlock", "text": message.summary, "wrap": True})
    actions: list[dict[str, Any]] = []
    if message.share_value and message.open_url:
        actions.append(
            {
                "type": "Action.OpenUrl",
                "title": _("Share"),
                "url": message.open_url,
                "style": "positive",
            }
        )
    if message.url:
        actions.append(
            {"type": "Action.OpenUrl", "title": _("Read the article"), "url": message.url}
        )
    return _card(body, actions, message.language)


def digest(message: Digest, language: str = "") -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.heading,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    body.extend({"type": "TextBlock", "text": line, "wrap": True} for line in message.lines)
    body.extend(
        {"type": "TextBlock", "text": f"[{item.title}]({item.url})", "wrap": True}
        for item in message.items
    )
    actions = [{"type": "Action.OpenUrl", "title": message.feed_label, "url": message.feed_url}]
    return _card(body, actions, language)
