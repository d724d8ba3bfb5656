"""Awarding points: derived from what people did, under their organisation's rules.

`award(org, since)` computes what every programme member should have earned for each day
from `since` on (shares, human clicks, conversations on their shares, accepted suggestions,
helping colleagues), applies the daily caps, and brings the ledger in line: missing entries are
created, changed ones updated, ones no longer earned removed. Running it twice changes
nothing the second time, and a new rule applies to the past when it is run again over it.
Onboarding steps are the exception: they are counted once, on the day they are first seen
done, and kept even if a step is undone later (a disconnected network).

Conversations on a share grow for a month after it is published (the engagement sync reads
them on a schedule) and count on the day it was published: the quarter-hourly run updates
the last days' shares, the nightly full run the older ones.

docs/points.md explains the rules to the people who earn the points.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chorus.content.models import Suggestion
from chorus.engage.models import Kind, PointsEntry, PointsRules
from chorus.links.models import LinkDay
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Participation, Question, WorkshopSignup
from chorus.sharing.metrics import latest_engagement
from chorus.sharing.models import EngagementTask, EngagementTaskDone, Share

if TYPE_CHECKING:
    from chorus.sharing.metrics import Engagement
    from chorus.sharing.models import Share

# Kinds brought in line with the data on every run; onboarding steps are only added.
RECOMPUTED_KINDS = (Kind.SHARE, Kind.CLICKS, Kind.ENGAGEMENT, Kind.SUGGESTION, Kind.HELPING)


@dataclass(frozen=True)
class Candidate:
    """Points someone should have for one source, before the daily cap."""

    membership_id: int
    kind: str
    source_type: str
    source_id: str
    day: date
    points: int
    # Order in which a day's sources meet the cap: earliest first.
    order: tuple[Any, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.membership_id, self.kind, self.source_type, self.source_id)


@dataclass
class AwardReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    badges: int = 0
    challenges_closed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.removed} removed; "
            f"{self.badges} badges; {self.challenges_closed} challenges closed"
        )

    def add(self, other: AwardReport) -> None:
        for name in ("created", "updated", "removed", "badges", "challenges_closed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def rules_of(org: Organization) -> PointsRules:
    """The organisation's rules, created with the defaults on first use."""
    return PointsRules.objects.get_or_create(org=org)[0]


def participants(org: Organization) -> QuerySet[Membership]:
    """Active members who opted in to the programme and have not left: the only people who
    earn points or appear anywhere in this app."""
    return Membership.objects.active().filter(
        org=org, participation__status=Participation.Status.ACTIVE
    )


def day_start(day: date) -> datetime:
    """Midnight at the start of `day`, in the server's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def original_q(rules: PointsRules, prefix: str = "") -> Q:
    """Shares written mostly in the person's own words and unlike colleagues' posts."""
    return Q(
        **{
            f"{prefix}originality__gte": rules.min_originality_ratio,
            f"{prefix}near_duplicates": 0,
        }
    )


def share_points(
    originality: float | None, near_duplicates: int, rules: PointsRules
) -> tuple[int, bool]:
    """Points for one published share, and whether it counts as original.

    An original share earns in proportion to its own words; a copy-paste one (too few own
    words, or near-identical to colleagues' posts) earns the small copy-paste amount."""
    own = originality or 0.0
    if near_duplicates > 0 or own < rules.min_originality_ratio:
        return rules.copy_share, False
    return round(rules.original_share * min(own, 1.0)), True


def engagement_by_share(shares: QuerySet[Share]) -> dict[int, Engagement]:
    """The latest counts of each measured share (the engagement sync's snapshots)."""
    return latest_engagement(shares)


def engagement_points(figures: Engagement, rules: PointsRules) -> int:
    """Words people wrote back (comments, quotes) weigh more than a tap (reactions, reposts):
    a conversation is what the programme is after, not a relay."""
    return (figures.comments + figures.quotes) * rules.comment + (
        figures.reactions + figures.reposts
    ) * rules.reaction


# --- What each kind should have earned ----------------------------------------------------


def _share_candidates(
    org: Organization, rules: PointsRules, member_ids: Collection[int], start: date | None
) -> tuple[list[Candidate], list[Candidate]]:
    shares = Share.objects.published().filter(
        org=org, membership_id__in=member_ids, published_at__isnull=False
    )
    if start is not None:
        shares = shares.filter(published_at__gte=day_start(start))
    rows = list(
        shares.values_list(
            "pk", "membership_id", "published_at", "originality", "near_duplicates", "item_id"
        )
    )
    engagement = engagement_by_share(shares)
    share_candidates, engagement_candidates = [], []
    for pk, member_id, published_at, originality, near_duplicates, item_id in rows:
        points, original = share_points(originality, near_duplicates, rules)
        day = timezone.localdate(published_at)
        share_candidates.append(
            Candidate(
                member_id,
                Kind.SHARE,
                "share",
                str(pk),
                day,
                points,
                (published_at, pk),
                {
                    "item": item_id,
                    "original": original,
                    "own_words": round((originality or 0.0) * 100),
                    "near_duplicates": near_duplicates,
                },
            )
        )
        figures = engagement.get(pk)
        if figures is not None and figures.total:
            engagement_candidates.append(
                Candidate(
                    member_id,
                    Kind.ENGAGEMENT,
                    "share",
                    str(pk),
                    day,
                    engagement_points(figures, rules),
                    (published_at, pk),
                    {
                        "item": item_id,
                        "comments": figures.comments + figures.quotes,
                        "reactions": figures.reactions + figures.reposts,
                    },
                )
            )
    return share_candidates, engagement_candidates


def _click_candidates(
    org: Organization, rules: PointsRules, member_ids: Collection[int], start: date | None
) -> list[Candidate]:
    """One entry per link and day, from the daily rollup's human visitors (bots excluded,
    a visitor clicking ten times counted once)."""
    days = LinkDay.objects.filter(
        org=org, link__ambassador_id__in=member_ids, unique_visitors__gt=0
    )
    if start is not None:
        days = days.filter(day__gte=start)
    return [
        Candidate(
            member_id,
            Kind.CLICKS,
            "linkday",
            str(pk),
            day,
            visitors * rules.human_click,
            (pk,),
            {"item": item_id, "visitors": visitors},
        )
        for pk, member_id, day, visitors, item_id in days.values_list(
            "pk", "link__ambassador_id", "day", "unique_visitors", "link__item_id"
        )
    ]


def _suggestion_candidates(
    org: Organization, rules: PointsRules, member_ids: Collection[int], start: date | None
) -> list[Candidate]:
    accepted = Suggestion.objects.filter(
        org=org, suggested_by_id__in=member_ids, status=Suggestion.Status.ACCEPTED
    )
    if start is not None:
        accepted = accepted.filter(
            Q(decided_at__gte=day_start(start))
            | Q(decided_at__isnull=True, created_at__gte=day_start(start))
        )
    candidates = []
    for pk, member_id, decided_at, created_at, item_id in accepted.values_list(
        "pk", "suggested_by_id", "decided_at", "created_at", "content_item_id"
    ):
        when = decided_at or created_at
        candidates.append(
            Candidate(
                member_id,
                Kind.SUGGESTION,
                "suggestion",
                str(pk),
                timezone.localdate(when),
                rules.suggestion,
                (when, pk),
                {"item": item_id},
            )
        )
    return candidates


def _helping_candidates(
    org: Organization, rules: PointsRules, member_ids: Collection[int], start: date | None
) -> list[Candidate]:
    """A question that the programme published in the FAQ (it answers colleagues' doubt
    too), and a workshop attended (the programme recorded the person as present)."""
    questions = Question.objects.filter(
        org=org, asked_by_id__in=member_ids, in_faq=True, answered_at__isnull=False
    )
    attended = WorkshopSignup.objects.filter(
        workshop__org=org, membership_id__in=member_ids, attended=True
    )
    if start is not None:
        questions = questions.filter(answered_at__gte=day_start(start))
        attended = attended.filter(workshop__starts_at__gte=day_start(start))
    candidates = [
        Candidate(
            member_id,
            Kind.HELPING,
            "question",
            str(pk),
            timezone.localdate(answered_at),
            rules.faq_question,
            (answered_at, 0, pk),
            {"what": "faq"},
        )
        for pk, member_id, answered_at in questions.values_list("pk", "asked_by_id", "answered_at")
    ]
    candidates += [
        Candidate(
            member_id,
            Kind.HELPING,
            "workshopsignup",
            str(pk),
            timezone.localdate(starts_at),
            rules.workshop,
            (starts_at, 1, pk),
            {"what": "workshop", "workshop": workshop_id},
        )
        for pk, member_id, starts_at, workshop_id in attended.values_list(
            "pk", "membership_id", "workshop__starts_at", "workshop_id"
        )
    ]
    return candidates


def engagement_task_points(
    action: str, originality: float | None, near_duplicates: int, rules: PointsRules
) -> tuple[int, bool]:
    """Points for one engagement task done, and whether it counts as own words.

    A reply is judged like a share (own words against the suggested angle, and no
    colleague's reply near-identical to it): in one's own words it earns what an original
    share does; otherwise, and for a like or a boost, what a reaction earns. Replies with
    own words are what the programme is after, taps are a start."""
    if action == EngagementTask.Action.REPLY and originality is not None:
        points, original = share_points(originality, near_duplicates, rules)
        if original:
            return points, True
    return rules.reaction, False


def _engagement_task_candidates(
    org: Organization, rules: PointsRules, member_ids: Collection[int], start: date | None
) -> list[Candidate]:
    """Engagement tasks done, counted with the conversations (same kind and daily cap)."""
    done = EngagementTaskDone.objects.filter(org=org, membership_id__in=member_ids)
    if start is not None:
        done = done.filter(created_at__gte=day_start(start))
    candidates = []
    for (
        pk,
        member_id,
        created_at,
        action,
        originality,
        near_duplicates,
        task_id,
    ) in done.values_list(
        "pk",
        "membership_id",
        "created_at",
        "action",
        "originality",
        "near_duplicates",
        "task_id",
    ):
        points, own = engagement_task_points(action, originality, near_duplicates, rules)
        candidates.append(
            Candidate(
                member_id,
                Kind.ENGAGEMENT,
                "engagement",
                str(pk),
                timezone.localdate(created_at),
                points,
                (created_at, pk),
                {"task": task_id, "action": action, "own_words": own},
            )
        )
    return candidates


# --- Caps and the ledger ------------------------------------------------------------------


def apply_caps(
    candidates: Iterable[Candidate], rules: PointsRules, already: dict[Any, int] | None = None
) -> list[tuple[Candidate, int]]:
    """Each candidate with the points it counts for once the day's cap for its kind is met.

    Sources meet the cap in the order they happened; `already` holds points counted
    earlier on a (person, kind, day) and not part of `candidates`."""
    already = already or {}

    def group(candidate: Candidate) -> tuple[int, str, date]:
        return (candidate.membership_id, candidate.kind, candidate.day)

    counted: list[tuple[Candidate, int]] = []
    ordered = sorted(candidates, key=lambda c: (group(c), c.order, c.source_id))
    for key, same_day in itertools.groupby(ordered, key=group):
        left = max(rules.cap(key[1]) - already.get(key, 0), 0)
        for candidate in same_day:
            points = min(candidate.points, left)
            left -= points
            counted.append((candidate, points))
    return counted


def _entry(org: Organization, candidate: Candidate, points: int) -> PointsEntry:
    return PointsEntry(
        org=org,
        membership_id=candidate.membership_id,
        kind=candidate.kind,
        source_type=candidate.source_type,
        source_id=candidate.source_id,
        day=candidate.day,
        points=points,
        points_before_cap=candidate.points,
        detail=candidate.detail,
    )


def _reconcile(
    org: Organization,
    member_ids: Collection[int],
    start: date | None,
    counted: list[tuple[Candidate, int]],
    report: AwardReport,
) -> None:
    """Make the recomputed kinds of the ledger, from `start` on, equal to `counted`."""
    desired = {candidate.key: (candidate, points) for candidate, points in counted}
    existing_entries = PointsEntry.objects.filter(
        org=org, membership_id__in=member_ids, kind__in=RECOMPUTED_KINDS
    )
    if start is not None:
        # An entry whose source moved to another day is found by its key, not its day.
        window = Q(day__gte=start)
        sources: dict[tuple[str, str], list[str]] = defaultdict(list)
        for _member, kind, source_type, source_id in desired:
            sources[(kind, source_type)].append(source_id)
        for (kind, source_type), ids in sources.items():
            window |= Q(kind=kind, source_type=source_type, source_id__in=ids)
        existing_entries = existing_entries.filter(window)
    existing = {
        (entry.membership_id, entry.kind, entry.source_type, entry.source_id): entry
        for entry in existing_entries
    }
    created, updated = [], []
    for key, (candidate, points) in desired.items():
        entry = existing.pop(key, None)
        if entry is None:
            created.append(_entry(org, candidate, points))
            continue
        now = (candidate.day, points, candidate.points, candidate.detail)
        if (entry.day, entry.points, entry.points_before_cap, entry.detail) != now:
            entry.day, entry.points, entry.points_before_cap, entry.detail = now
            updated.append(entry)
    # What is left was earned once but no longer is (a rule changed, a share was retracted).
    stale = [entry.pk for entry in existing.values()]
    for offset in range(0, len(stale), 500):
        chunk = stale[offset : offset + 500]
        report.removed += PointsEntry.objects.filter(pk__in=chunk).delete()[0]
    PointsEntry.objects.bulk_create(created, batch_size=500)
    PointsEntry.objects.bulk_update(
        updated, ["day", "points", "points_before_cap", "detail"], batch_size=500
    )
    report.created += len(created)
    report.updated += len(updated)


def _award_onboarding(
    org: Organization, rules: PointsRules, members: list[Membership], report: AwardReport
) -> None:
    """Steps done now and never counted before, counted today (and kept)."""
    from chorus.engage.onboarding import checklists

    today = timezone.localdate()
    counted_steps: set[tuple[int, str]] = set()
    today_points: dict[Any, int] = defaultdict(int)
    for member_id, step, day, points in PointsEntry.objects.filter(
        org=org, membership__in=members, kind=Kind.ONBOARDING
    ).values_list("membership_id", "source_id", "day", "points"):
        counted_steps.add((member_id, step))
        if day == today:
            today_points[(member_id, Kind.ONBOARDING, today)] += points
    candidates = [
        Candidate(
            member_id,
            Kind.ONBOARDING,
            "onboarding",
            step.key,
            today,
            rules.onboarding_step,
            (position,),
            {"step": step.key},
        )
        for member_id, checklist in checklists(org, members).items()
        for position, step in enumerate(checklist.steps)
        if step.done and (member_id, step.key) not in counted_steps
    ]
    entries = [
        _entry(org, candidate, points)
        for candidate, points in apply_caps(candidates, rules, today_points)
    ]
    PointsEntry.objects.bulk_create(entries, batch_size=500)
    report.created += len(entries)


@transaction.atomic
def award(org: Organization, since: datetime | None = None) -> AwardReport:
    """Bring the organisation's points, badges and ended challenges up to date.

    Everything earned on or after the day of `since` is recomputed (all of it when `since`
    is None). Idempotent; only programme members earn; others' entries are left as they
    are (they reappear if the person rejoins)."""
    from chorus.engage.badges import award_badges
    from chorus.engage.challenges import close_ended

    # One run per organisation at a time: a second one waits here, then finds nothing to do.
    rules = rules_of(org)
    rules = PointsRules.objects.select_for_update().get(pk=rules.pk)
    report = AwardReport()
    members = list(participants(org).select_related("org"))
    member_ids = [member.pk for member in members]
    start = timezone.localdate(since) if since is not None else None
    shares, conversations = _share_candidates(org, rules, member_ids, start)
    candidates = [
        *shares,
        *conversations,
        *_click_candidates(org, rules, member_ids, start),
        *_suggestion_candidates(org, rules, member_ids, start),
        *_helping_candidates(org, rules, member_ids, start),
        *_engagement_task_candidates(org, rules, member_ids, start),
    ]
    _reconcile(org, member_ids, start, apply_caps(candidates, rules), report)
    if members:
        _award_onboarding(org, rules, members, report)
    # Challenges close on up-to-date points, and before badges, which count their winners.
    report.challenges_closed = close_ended(org)
    report.badges = award_badges(org, rules, members)
    return report


def award_all(since: datetime | None = None, org_slug: str | None = None) -> AwardReport:
    """Run `award` for every organisation (or the one named), one transaction each.

    An organisation with an empty ledger (new, just upgraded, a demo) gets everything
    counted, not only the days since `since`."""
    total = AwardReport()
    orgs = Organization.objects.order_by("pk")
    if org_slug is not None:
        orgs = orgs.filter(slug=org_slug)
    for org in orgs:
        first_time = not PointsEntry.objects.filter(org=org).exists()
        total.add(award(org, None if first_time else since))
    return total
