"""Noting the days whose rollups must be rebuilt when raw events change.

Each receiver only notes (org, day) pairs, written once the transaction commits; the
worker rebuilds them (`chorus.analytics.rollups.refresh`). Bulk updates send no signal:
their authors call `chorus.analytics.rollups.note_days`.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from chorus.analytics.rollups import days_of_membership, note_days
from chorus.content.models import ContentItem
from chorus.links.models import Conversion, LinkDay
from chorus.orgs.models import Membership
from chorus.program.signals import participant_left
from chorus.sharing.models import Share


def _note_pairs(pairs: set[tuple[int, Any]]) -> None:
    by_org: dict[int, set[Any]] = {}
    for org_id, day in pairs:
        by_org.setdefault(org_id, set()).add(day)
    for org_id, days in by_org.items():
        note_days(org_id, days)


@receiver(post_save, sender=Share)
def share_saved(sender: Any, instance: Share, **kwargs: Any) -> None:
    """A share published (or changed after publishing) counts on its day of publishing."""
    if instance.published_at is not None:
        note_days(instance.org_id, {instance.published_at.astimezone(UTC).date()})


@receiver(post_save, sender=LinkDay)
def link_day_saved(sender: Any, instance: LinkDay, **kwargs: Any) -> None:
    """The click ingestion updated a link's day."""
    note_days(instance.org_id, {instance.day})


@receiver(post_save, sender=Conversion)
@receiver(post_delete, sender=Conversion)
def conversion_changed(sender: Any, instance: Conversion, **kwargs: Any) -> None:
    note_days(instance.org_id, {instance.occurred_at.astimezone(UTC).date()})


@receiver(pre_delete, sender=ContentItem)
def item_deleted(sender: Any, instance: ContentItem, **kwargs: Any) -> None:
    """Its shares go with it (clicks and conversions stay, without the item)."""
    from chorus.analytics.models import Level, SegmentDay

    days = set(
        SegmentDay.objects.filter(org_id=instance.org_id, level=Level.ITEM, item=instance)
        .values_list("day", flat=True)
        .distinct()
    )
    note_days(instance.org_id, days)


@receiver(pre_delete, sender=Membership)
def membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    _note_pairs(days_of_membership(instance.pk))


@receiver(participant_left)
def participant_left_anonymised(
    sender: Any, membership: Membership, anonymise: bool, **kwargs: Any
) -> None:
    """Shares, links and conversions no longer point to the person: neither may the rollups.

    The links may already be anonymised (their receiver can run first), so every day from
    the person's first share or conversion on is redone: clicks come after shares.
    """
    if not anonymise:
        return
    pairs = days_of_membership(membership.pk)
    if pairs:
        first = min(day for _, day in pairs)
        today = timezone.now().astimezone(UTC).date()
        days = {first + timedelta(days=n) for n in range((today - first).days + 1)}
        note_days(membership.org_id, days)
