"""Badges: milestones earned once, for quality and for helping, never for volume alone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Suggestion
from chorus.engage.models import BadgeAward, PointsRules
from chorus.links.models import LinkDay
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Question, WorkshopSignup
from chorus.sharing.metrics import latest_engagement
from chorus.sharing.models import Share

if TYPE_CHECKING:
    from chorus.sharing.models import Share


@dataclass(frozen=True)
class Badge:
    key: str
    label: Promise
    how: Promise
    # The figure it is about (see `_figures`) and the value that earns it.
    figure: str
    threshold: int


BADGES: tuple[Badge, ...] = (
    Badge(
        "first_original_share",
        _("Own voice"),
        _("Publish a share written mostly in your own words."),
        "original_shares",
        1,
    ),
    Badge(
        "five_original_shares",
        _("Storyteller"),
        _("Publish five shares written mostly in your own words."),
        "original_shares",
        5,
    ),
    Badge(
        "ten_human_clicks", _("First readers"), _("Ten people clicked your links."), "clicks", 10
    ),
    Badge(
        "hundred_human_clicks",
        _("Audience"),
        _("A hundred people clicked your links."),
        "clicks",
        100,
    ),
    Badge(
        "conversation_starter",
        _("Conversation starter"),
        _("Your shares drew ten comments or quotes."),
        "conversations",
        10,
    ),
    Badge(
        "onboarding_complete",
        _("Ready to go"),
        _("Complete every step of getting started."),
        "onboarding",
        1,
    ),
    Badge(
        "first_suggestion",
        _("Scout"),
        _("Suggest content that the programme accepts."),
        "suggestions",
        1,
    ),
    Badge(
        "faq_contributor",
        _("FAQ contributor"),
        _("Ask a question that the programme publishes in the FAQ."),
        "faq",
        1,
    ),
    Badge("workshop", _("Workshop"), _("Attend a workshop."), "workshops", 1),
    Badge(
        "challenge_winner",
        _("Challenge winner"),
        _("Reach the target of a challenge."),
        "challenges",
        1,
    ),
)
BY_KEY = {badge.key: badge for badge in BADGES}


def _by_member(rows: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    return {member_id: int(value or 0) for member_id, value in rows}


def _conversations(shares: QuerySet[Share]) -> dict[int, int]:
    """Comments and quotes on each member's shares, by their latest counts."""
    owners = dict(shares.values_list("pk", "membership_id"))
    totals: dict[int, int] = defaultdict(int)
    for share_id, figures in latest_engagement(shares).items():
        owner = owners.get(share_id)
        if owner is not None:
            totals[owner] += figures.comments + figures.quotes
    return totals


def _figures(
    org: Organization, rules: PointsRules, members: list[Membership]
) -> dict[str, dict[int, int]]:
    """For each figure a badge is about, its value per member (absent: zero)."""
    from chorus.engage.models import ChallengeResult
    from chorus.engage.onboarding import checklists
    from chorus.engage.points import original_q

    ids = [member.pk for member in members]
    published = Share.objects.published().filter(org=org, membership_id__in=ids)
    return {
        "original_shares": _by_member(
            published.filter(original_q(rules))
            .values("membership_id")
            .annotate(n=Count("id"))
            .values_list("membership_id", "n")
        ),
        "clicks": _by_member(
            LinkDay.objects.filter(org=org, link__ambassador_id__in=ids)
            .values("link__ambassador_id")
            .annotate(n=Sum("unique_visitors"))
            .values_list("link__ambassador_id", "n")
        ),
        "conversations": _conversations(published),
        "onboarding": {
            member_id: int(checklist.complete)
            for member_id, checklist in checklists(org, members).items()
        },
        "suggestions": _by_member(
            Suggestion.objects.filter(
                org=org, suggested_by_id__in=ids, status=Suggestion.Status.ACCEPTED
            )
            .values("suggested_by_id")
            .annotate(n=Count("id"))
            .values_list("suggested_by_id", "n")
        ),
        "faq": _by_member(
            Question.objects.filter(
                org=org, asked_by_id__in=ids, in_faq=True, answered_at__isnull=False
            )
            .values("asked_by_id")
            .annotate(n=Count("id"))
            .values_list("asked_by_id", "n")
        ),
        "workshops": _by_member(
            WorkshopSignup.objects.filter(workshop__org=org, membership_id__in=ids, attended=True)
            .values("membership_id")
            .annotate(n=Count("id"))
            .values_list("membership_id", "n")
        ),
        "challenges": _by_member(
            ChallengeResult.objects.filter(org=org, membership_id__in=ids, reached_at__isnull=False)
            .values("membership_id")
            .annotate(n=Count("id"))
            .values_list("membership_id", "n")
        ),
    }


def award_badges(org: Organization, rules: PointsRules, members: list[Membership]) -> int:
    """Give each member the badges they now deserve and do not have; return how many."""
    if not members:
        return 0
    owned = set(
        BadgeAward.objects.filter(org=org, membership__in=members).values_list(
            "membership_id", "badge"
        )
    )
    figures = _figures(org, rules, members)
    new = [
        BadgeAward(org=org, membership_id=member.pk, badge=badge.key)
        for member in members
        for badge in BADGES
        if (member.pk, badge.key) not in owned
        and figures[badge.figure].get(member.pk, 0) >= badge.threshold
    ]
    BadgeAward.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
