"""Engagement (reactions, comments, reposts, quotes) and impressions of shares, for the rollups.

The counts come from `chorus.sharing.models.EngagementSnapshot`, which the engagement sync
adds at each step of its schedule: a share's latest snapshot holds its running totals (see
`chorus.sharing.metrics`). The rollups add up, per day of publishing, the latest counts of
the day's shares; when new snapshots arrive, `new_snapshot_days` says which days to redo.
"""

from __future__ import annotations

from datetime import UTC, date

from django.db import models
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate

from chorus.sharing.models import EngagementSnapshot


def share_engagement() -> tuple[models.Expression, models.Expression]:
    """Expressions for a Share queryset: the share's latest interactions and impressions.

    Interactions are reactions + comments + reposts + quotes; impressions are 0 where the
    network does not report them (only X does). Both are 0 for a share never measured.
    """
    zero = Value(0, output_field=models.BigIntegerField())
    latest = EngagementSnapshot.objects.filter(share_id=OuterRef("pk")).order_by("-taken_at", "-id")
    interactions = latest.annotate(
        interactions=F("reactions") + F("comments") + F("reposts") + F("quotes")
    ).values("interactions")[:1]
    impressions = latest.values("impressions")[:1]
    return (
        Coalesce(Subquery(interactions), zero, output_field=models.BigIntegerField()),
        Coalesce(Subquery(impressions), zero, output_field=models.BigIntegerField()),
    )


def new_snapshot_days(org_id: int, after_id: int) -> tuple[set[date], int]:
    """Days of publishing of the shares measured since snapshot `after_id`, and the new
    watermark (the largest snapshot id seen)."""
    rows = (
        EngagementSnapshot.objects.filter(org_id=org_id, pk__gt=after_id)
        .annotate(published_day=TruncDate("share__published_at", tzinfo=UTC))
        .values_list("pk", "published_day")
    )
    days: set[date] = set()
    watermark = after_id
    for pk, day in rows.iterator(chunk_size=5000):
        watermark = max(watermark, pk)
        if day is not None:
            days.add(day)
    return days, watermark


def latest_snapshot_id(org_id: int) -> int:
    """The largest snapshot id of the organisation (0 when none)."""
    found = EngagementSnapshot.objects.filter(org_id=org_id).aggregate(top=models.Max("pk"))["top"]
    return int(found or 0)
