"""Test helpers for the engage part of results (issue: results that guide)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

_events = itertools.count(1)


def published_share(
    member: Any,
    item: Any,
    *,
    originality: float,
    near_duplicates: int = 0,
    at: datetime | None = None,
    **fields: Any,
) -> Any:
    """A share published at `at` (now by default) with the given originality figures."""
    from chorus.sharing.models import Share
    from tests.factory import make_share

    return make_share(
        member,
        item,
        status=Share.Status.PUBLISHED,
        published_at=at or timezone.now(),
        originality=originality,
        near_duplicates=near_duplicates,
        **fields,
    )


def clicks(link: Any, *, humans: int = 0, bots: int = 0, at: datetime | None = None) -> None:
    """`humans` distinct visitors and `bots` crawler hits on a link, then the daily rollup."""
    from chorus.links.ingest import rebuild_days
    from chorus.links.models import Click

    when = at or timezone.now()
    for number in range(humans + bots):
        is_bot = number >= humans
        Click.objects.create(
            org=link.org,
            link=link,
            event_id=f"engage-{next(_events)}",
            occurred_at=when,
            visitor=f"visitor-{number}",
            is_bot=is_bot,
            bot_reason="LinkedInBot" if is_bot else "",
        )
    rebuild_days({(link.pk, when.astimezone(UTC).date())})


def make_challenge(org: Any, **fields: Any) -> Any:
    from chorus.engage.models import Challenge

    today = timezone.localdate()
    fields.setdefault("title", "Spring voices")
    fields.setdefault("metric", Challenge.Metric.ORIGINAL_SHARES)
    fields.setdefault("target", 3)
    fields.setdefault("starts_on", today)
    fields.setdefault("ends_on", today + timedelta(days=14))
    return Challenge.objects.create(org=org, **fields)


def populate(org: Any, member: Any) -> None:
    """One object of each engage model in the organisation, for the isolation walk."""
    from chorus.engage.models import (
        BadgeAward,
        ChallengeResult,
        LeaderboardPreference,
        PointsEntry,
        PointsRules,
    )

    PointsRules.objects.get_or_create(org=org)
    PointsEntry.objects.get_or_create(
        org=org,
        membership=member,
        kind="onboarding",
        source_type="onboarding",
        source_id="profile",
        defaults={"day": timezone.localdate(), "points": 5, "points_before_cap": 5},
    )
    BadgeAward.objects.get_or_create(org=org, membership=member, badge="workshop")
    LeaderboardPreference.objects.get_or_create(org=org, membership=member)
    challenge = make_challenge(org)
    ChallengeResult.objects.create(org=org, challenge=challenge, membership=member, progress=1)
