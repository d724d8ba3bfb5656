"""Timed challenges: progress per person, computed from the data, frozen when they close.

While a challenge runs, progress is computed on demand (one query per page). The day after
it ends, the worker closes it: everyone's final figure is stored in `ChallengeResult`, and
those who reached the target are its winners, in the order they reached it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from chorus.content.models import Suggestion
from chorus.engage.models import Challenge, ChallengeResult, PointsEntry, PointsRules
from chorus.links.models import LinkDay
from chorus.orgs.models import Organization
from chorus.sharing.models import Share


@dataclass(frozen=True)
class Progress:
    value: int = 0
    reached_at: datetime | None = None

    def percent(self, target: int) -> int:
        return min(100, round(100 * self.value / target)) if target else 0


Event = tuple[int, datetime, int]  # (membership id, when, amount)


def status(challenge: Challenge, today: date | None = None) -> str:
    """upcoming, running, ended (results being counted) or closed."""
    today = today or timezone.localdate()
    if challenge.closed_at is not None:
        return "closed"
    if today < challenge.starts_on:
        return "upcoming"
    if today <= challenge.ends_on:
        return "running"
    return "ended"


def _events(
    challenge: Challenge, rules: PointsRules, member_ids: Collection[int]
) -> Iterable[Event]:
    from chorus.engage.points import day_start, original_q

    start = day_start(challenge.starts_on)
    end = day_start(challenge.ends_on + timedelta(days=1))
    metric = challenge.metric
    if metric == Challenge.Metric.ORIGINAL_SHARES:
        shares = (
            Share.objects.published_between(start, end)
            .filter(org=challenge.org_id, membership_id__in=member_ids)
            .filter(original_q(rules))
        )
        if challenge.topic_id is not None:
            shares = shares.filter(item__topics=challenge.topic_id)
        if challenge.campaign_id is not None:
            shares = shares.filter(item__campaign=challenge.campaign_id)
        for member_id, published_at in shares.values_list("membership_id", "published_at"):
            if published_at is not None:
                yield member_id, published_at, 1
    elif metric == Challenge.Metric.HUMAN_CLICKS:
        days = LinkDay.objects.filter(
            org=challenge.org_id,
            link__ambassador_id__in=member_ids,
            day__gte=challenge.starts_on,
            day__lte=challenge.ends_on,
            unique_visitors__gt=0,
        )
        if challenge.topic_id is not None:
            days = days.filter(link__item__topics=challenge.topic_id)
        if challenge.campaign_id is not None:
            days = days.filter(link__item__campaign=challenge.campaign_id)
        for member_id, day, visitors in days.values_list(
            "link__ambassador_id", "day", "unique_visitors"
        ):
            yield member_id, day_start(day), visitors
    elif metric == Challenge.Metric.POINTS:
        totals = (
            PointsEntry.objects.filter(
                org=challenge.org_id,
                membership_id__in=member_ids,
                day__gte=challenge.starts_on,
                day__lte=challenge.ends_on,
            )
            .values("membership_id", "day")
            .annotate(total=Sum("points"))
            .values_list("membership_id", "day", "total")
        )
        for member_id, day, total in totals:
            yield member_id, day_start(day), int(total or 0)
    elif metric == Challenge.Metric.SUGGESTIONS:
        accepted = Suggestion.objects.filter(
            org=challenge.org_id,
            suggested_by_id__in=member_ids,
            status=Suggestion.Status.ACCEPTED,
            decided_at__gte=start,
            decided_at__lt=end,
        )
        for member_id, decided_at in accepted.values_list("suggested_by_id", "decided_at"):
            if decided_at is not None:
                yield member_id, decided_at, 1


def progress(
    challenge: Challenge, member_ids: Collection[int], rules: PointsRules | None = None
) -> dict[int, Progress]:
    """Each member's figure for the challenge and when they reached the target (if so);
    members with nothing yet are absent."""
    from chorus.engage.points import rules_of

    if not member_ids:
        return {}
    rules = rules or rules_of(challenge.org)
    by_member: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for member_id, when, amount in _events(challenge, rules, member_ids):
        if amount > 0:
            by_member[member_id].append((when, amount))
    result = {}
    for member_id, events in by_member.items():
        value, reached_at = 0, None
        for when, amount in sorted(events):
            value += amount
            if reached_at is None and value >= challenge.target:
                reached_at = when
        result[member_id] = Progress(value, reached_at)
    return result


def close(challenge: Challenge) -> bool:
    """Freeze the results of an ended challenge; False if someone else closed it first."""
    from chorus.engage.points import participants

    with transaction.atomic():
        claimed = Challenge.objects.filter(pk=challenge.pk, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        if claimed != 1:
            return False
        member_ids = list(participants(challenge.org).values_list("pk", flat=True))
        final = progress(challenge, member_ids)
        ChallengeResult.objects.bulk_create(
            [
                ChallengeResult(
                    org_id=challenge.org_id,
                    challenge=challenge,
                    membership_id=member_id,
                    progress=figure.value,
                    reached_at=figure.reached_at,
                )
                for member_id, figure in final.items()
            ],
            batch_size=500,
        )
    return True


def close_ended(org: Organization, today: date | None = None) -> int:
    """Close every challenge of the organisation whose last day is over; return how many."""
    today = today or timezone.localdate()
    ended = Challenge.objects.filter(org=org, closed_at__isnull=True, ends_on__lt=today)
    return sum(close(challenge) for challenge in ended.select_related("org"))
