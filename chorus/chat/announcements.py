"""Queueing chat messages: announcements of new content and campaigns, test messages.

Called inside the change's transaction (from `receivers`), so a message is queued only for
a change that happened; the worker is woken after the commit.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chorus.chat.models import ChatChannel, ChatMessage
from chorus.chat.tasks import send_chat_message
from chorus.content.models import Campaign, ContentItem
from chorus.integrations.capabilities import Announcement
from chorus.orgs.models import Membership, Organization


def base_url() -> str:
    return settings.CHORUS_BASE_URL.rstrip("/")


def content_announcement(item: ContentItem) -> Announcement:
    """What a channel shows of a published item; its "Share" button (unless the item is for
    reading inside only) opens the composer for whoever clicks."""
    org = item.org
    compose = base_url() + reverse("compose", kwargs={"org": org.slug, "contentitem_id": item.pk})
    return Announcement(
        kind="content",
        title=item.title[:300],
        summary=(item.summary or "")[:600],
        url=item.url,
        open_url=compose,
        share_value="" if item.internal_only else f"content:{item.pk}",
        language=org.default_language,
        org_name=org.name,
    )


def campaign_announcement(campaign: Campaign) -> Announcement:
    org = campaign.org
    feed = base_url() + reverse("feed", kwargs={"org": org.slug})
    return Announcement(
        kind="campaign",
        title=campaign.name,
        summary=(campaign.description or "")[:600],
        url=campaign.cta_url,
        open_url=feed,
        share_value=f"campaign:{campaign.pk}",
        language=org.default_language,
        org_name=org.name,
    )


def announcing_org(share_value: str) -> int | None:
    """The organisation an announcement's "Share" value ("content:12", "campaign:3") is from."""
    kind, _sep, ident = share_value.partition(":")
    model = {"content": ContentItem, "campaign": Campaign}.get(kind)
    if model is None or not ident.isdigit():
        return None
    return model._default_manager.filter(pk=int(ident)).values_list("org_id", flat=True).first()


def queue(
    org: Organization | int,
    tool: str,
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    channel: ChatChannel | None = None,
    membership: Membership | None = None,
    at: datetime | None = None,
) -> ChatMessage | None:
    """Write one outbox row unless one with this key exists (then None); wake the worker on
    commit. A savepoint keeps the surrounding transaction usable when the key is taken."""
    org_id = org if isinstance(org, int) else org.pk
    try:
        with transaction.atomic():
            message = ChatMessage.objects.create(
                org_id=org_id,
                tool=tool,
                kind=kind,
                channel=channel,
                membership=membership,
                dedupe_key=key,
                payload=payload,
                next_attempt_at=at or timezone.now(),
            )
    except IntegrityError:
        return None
    wake(message)
    return message


def wake(message: ChatMessage) -> None:
    """Ask the worker to send the message after the commit (the minute sweep catches it too)."""
    if message.next_attempt_at <= timezone.now():
        message_id = message.pk
        transaction.on_commit(lambda: send_chat_message(message_id))


def announce_item(item: ContentItem) -> int:
    """Queue the item's announcement for each channel that announces content; how many."""
    channels = ChatChannel.objects.filter(org_id=item.org_id, announce_content=True)
    payload = {"announcement": asdict(content_announcement(item)), "item_id": item.pk}
    # A scheduled item is announced when it goes live.
    at = item.publish_at if item.publish_at and item.publish_at > timezone.now() else None
    return sum(
        queue(
            item.org_id,
            channel.tool,
            "announcement",
            f"content:{item.pk}:channel:{channel.pk}",
            payload,
            channel=channel,
            at=at,
        )
        is not None
        for channel in channels
    )


def announce_campaign(campaign: Campaign) -> int:
    channels = ChatChannel.objects.filter(org_id=campaign.org_id, announce_campaigns=True)
    payload = {"announcement": asdict(campaign_announcement(campaign))}
    return sum(
        queue(
            campaign.org_id,
            channel.tool,
            "announcement",
            f"campaign:{campaign.pk}:channel:{channel.pk}",
            payload,
            channel=channel,
        )
        is not None
        for channel in channels
    )
