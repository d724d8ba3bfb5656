"""Org-scoped, permission-checked getters for the content hub."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from chorus.content.models import (
    Campaign,
    Caption,
    ContentImage,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Persona,
    Source,
    Suggestion,
    Topic,
)
from chorus.orgs.access import require_role
from chorus.orgs.models import Membership, Role


def get_item(membership: Membership, item_id: int, *, manage: bool = False) -> ContentItem:
    """An item of the member's org they may see (`ContentItem.objects.visible_to`), or 404;
    managing needs PM (403 for an item they see but may not change)."""
    items = ContentItem.objects.visible_to(membership)
    if manage and not membership.can_manage_programme:
        get_object_or_404(items, pk=item_id)
        raise PermissionDenied
    return get_object_or_404(items.select_related("campaign"), pk=item_id)


def get_caption(membership: Membership, caption_id: int) -> Caption:
    caption = get_object_or_404(
        Caption.objects.select_related("item"), org=membership.org, pk=caption_id
    )
    require_role(membership, Role.PROGRAM_MANAGER)
    return caption


def get_image(membership: Membership, image_id: int) -> ContentImage:
    """An image of one of the org's items, for a programme manager to change."""
    image = get_object_or_404(
        ContentImage.objects.select_related("item"), org=membership.org, pk=image_id
    )
    require_role(membership, Role.PROGRAM_MANAGER)
    return image


def _managed(model, membership: Membership, object_id: int):  # type: ignore[no-untyped-def]
    found = get_object_or_404(model, org=membership.org, pk=object_id)
    require_role(membership, Role.PROGRAM_MANAGER)
    return found


def get_campaign(membership: Membership, campaign_id: int) -> Campaign:
    return _managed(Campaign, membership, campaign_id)  # type: ignore[no-any-return]


def get_topic(membership: Membership, topic_id: int) -> Topic:
    return _managed(Topic, membership, topic_id)  # type: ignore[no-any-return]


def get_persona(membership: Membership, persona_id: int) -> Persona:
    return _managed(Persona, membership, persona_id)  # type: ignore[no-any-return]


def get_source(membership: Membership, source_id: int) -> Source:
    return _managed(Source, membership, source_id)  # type: ignore[no-any-return]


def get_entry(membership: Membership, entry_id: int) -> CuratedEntry:
    return _managed(CuratedEntry, membership, entry_id)  # type: ignore[no-any-return]


def get_suggestion(
    membership: Membership, suggestion_id: int, *, manage: bool = False
) -> Suggestion:
    """Program managers see every suggestion; others only their own."""
    suggestions = Suggestion.objects.filter(org=membership.org).select_related("suggested_by__user")
    if not membership.can_manage_programme:
        if manage:
            get_object_or_404(suggestions.filter(suggested_by=membership), pk=suggestion_id)
            raise PermissionDenied
        suggestions = suggestions.filter(suggested_by=membership)
    return get_object_or_404(suggestions, pk=suggestion_id)


def get_import_job(membership: Membership, job_id: int) -> ImportJob:
    """An import of the member's org, for program managers."""
    job = get_object_or_404(ImportJob, org=membership.org, pk=job_id)
    require_role(membership, Role.PROGRAM_MANAGER)
    return job
