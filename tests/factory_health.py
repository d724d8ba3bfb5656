"""Test helpers for the health part of results (issue: results that guide)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chorus.orgs.models import Membership


def populate(org: Any, member: Any) -> None:
    """One object of each health model in the organisation, for the isolation walk."""
    from chorus.program.models import HealthThresholds

    HealthThresholds.objects.get_or_create(org=org)


def publish(
    member: Membership | None,
    item: Any,
    at: datetime,
    *,
    originality: float | None = 0.8,
    near_duplicates: int = 0,
    **fields: Any,
) -> Any:
    """A share of `item` published at `at` (its creation time set to match)."""
    from chorus.sharing.models import Share

    share = Share.objects.create(
        org=item.org,
        membership=member,
        item=item,
        network=fields.pop("network", "mastodon"),
        text=fields.pop("text", f"My take on {item.title}"),
        status=Share.Status.PUBLISHED,
        published_at=at,
        originality=originality,
        near_duplicates=near_duplicates,
        **fields,
    )
    Share.objects.filter(pk=share.pk).update(created_at=at)
    return share


def backdate(instance: Any, **fields: datetime) -> Any:
    """Set auto_now_add timestamps (created_at, invited_at…) to the given moments."""
    type(instance).objects.filter(pk=instance.pk).update(**fields)
    instance.refresh_from_db()
    return instance
