"""What needs a programme manager's attention today, each with the page where to act.

A programme manager opens Chorus to do something, not to read a report: the "Today" page
lists what waits for them (suggestions to review, health checks that say act, campaigns
about to end, people stuck in onboarding) and the last seven days' figures, read from the
rollups through `analytics.figures` (the dashboard's own source) and from the health checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from chorus.analytics import figures
from chorus.analytics.health import Check, Status, health_report
from chorus.content.models import Campaign, Suggestion
from chorus.engage.onboarding import Step, checklists
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Participation

# Someone who opted in this long ago and has not finished onboarding needs a nudge: the
# checklist takes about an hour, and most people who finish do so within the first week.
STUCK_AFTER = timedelta(days=7)
# Campaigns ending within this many days are shown, so their last push can be planned.
ENDING_WITHIN_DAYS = 7
# At most this many people are listed; the onboarding page has everyone.
STUCK_SHOWN = 8


@dataclass(frozen=True)
class StuckMember:
    member: Membership
    next_step: Step
    done: int
    total: int


@dataclass(frozen=True)
class Today:
    pending_suggestions: int
    checks_to_act: list[Check]
    ending_campaigns: list[Campaign]
    stuck: list[StuckMember]
    stuck_count: int
    week: figures.Measures
    active_ambassadors: int

    @property
    def all_clear(self) -> bool:
        return not (
            self.pending_suggestions or self.checks_to_act or self.ending_campaigns or self.stuck
        )


def stuck_in_onboarding(org: Organization, now: datetime) -> list[StuckMember]:
    """People in the programme for over STUCK_AFTER whose onboarding is not finished."""
    members = list(
        Membership.objects.active()
        .filter(
            org=org,
            participation__status=Participation.Status.ACTIVE,
            participation__opted_in_at__lt=now - STUCK_AFTER,
        )
        .select_related("user")
        .order_by("participation__opted_in_at", "pk")
    )
    states = checklists(org, members)
    stuck = []
    for member in members:
        state = states.get(member.pk)
        if state is None or state.complete:
            continue
        next_step = next(step for step in state.steps if not step.done)
        stuck.append(StuckMember(member, next_step, state.done, state.total))
    return stuck


def today_for(org: Organization, now: datetime | None = None) -> Today:
    """The programme manager's "Today" page for the organisation."""
    now = now or timezone.now()
    day = timezone.localdate(now, ZoneInfo(org.time_zone))
    stuck = stuck_in_onboarding(org, now)
    scope = figures.Scope.last_days(org.pk, days=7, today=now.astimezone(UTC).date())
    return Today(
        pending_suggestions=Suggestion.objects.filter(
            org=org, status=Suggestion.Status.PENDING
        ).count(),
        checks_to_act=[
            check for check in health_report(org, now=now) if check.status == Status.ACT
        ],
        ending_campaigns=list(
            Campaign.objects.filter(
                org=org,
                ends_on__gte=day,
                ends_on__lte=day + timedelta(days=ENDING_WITHIN_DAYS),
            ).order_by("ends_on", "name")
        ),
        stuck=stuck[:STUCK_SHOWN],
        stuck_count=len(stuck),
        week=figures.totals(scope),
        active_ambassadors=figures.active_ambassadors(scope),
    )
