"""Searching and filtering the content library (shared by pages, API and benchmarks)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from chorus.content.models import ContentItem
from chorus.orgs.models import Membership


def search_items(membership: Membership, filters: dict[str, Any]) -> QuerySet[ContentItem]:
    """The items the member may see (`ContentItem.objects.visible_to`) that match the filters."""
    items = ContentItem.objects.visible_to(membership)
    query = (filters.get("q") or "").strip()
    if query:
        for word in query.split()[:8]:
            items = items.filter(
                Q(title__icontains=word) | Q(summary__icontains=word) | Q(url__icontains=word)
            )
    if filters.get("topic"):
        items = items.filter(topics=filters["topic"])
    if filters.get("campaign"):
        items = items.filter(campaign=filters["campaign"])
    if filters.get("network"):
        items = items.filter(captions__network=filters["network"])
    for field in ("language", "status", "kind"):
        if filters.get(field):
            items = items.filter(**{field: filters[field]})
    if filters.get("topic") or filters.get("network"):
        items = items.distinct()
    return items.select_related("campaign").prefetch_related("topics", "captions")
