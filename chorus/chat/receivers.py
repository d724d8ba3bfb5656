"""Announcing what the content hub publishes (signals sent inside its transactions)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.chat.announcements import announce_campaign, announce_item
from chorus.content.models import Campaign, ContentItem
from chorus.content.signals import campaign_created, item_published


@receiver(item_published, dispatch_uid="chat_item_published")
def item_was_published(sender: Any, item: ContentItem, **kwargs: Any) -> None:
    announce_item(item)


@receiver(campaign_created, dispatch_uid="chat_campaign_created")
def campaign_was_created(sender: Any, campaign: Campaign, **kwargs: Any) -> None:
    announce_campaign(campaign)
