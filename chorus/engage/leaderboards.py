"""Leaderboards: the top of a period, never the bottom, and one's own place in private.

- Only programme members who have not hidden themselves appear, and only with points in
  the period: nobody is listed with zero.
- A list shows the top N (the organisation's setting); below it, each person sees their
  own position, which nobody else sees.
- Whoever hides from leaderboards does not see others' ranks either (it works both ways);
  their own points stay on their points page.
- Teams are compared by points per person on the leaderboard, so a large team does not win
  by size; teams with fewer than `MIN_TEAM_SIZE` such people are not ranked, so that a
  team's figure never reveals one person's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.engage.models import LeaderboardPreference, PointsEntry
from chorus.orgs.models import Membership, Organization, Team

PERIODS = {
    "week": _("This week"),
    "month": _("This month"),
    "quarter": _("This quarter"),
}
MIN_TEAM_SIZE = 3


def period_start(period: str, today: date) -> date:
    """The first day of the current week (Monday), month or quarter."""
    if period == "week":
        return date.fromordinal(today.toordinal() - today.weekday())
    if period == "month":
        return today.replace(day=1)
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    raise ValueError(period)


def is_visible(membership: Membership) -> bool:
    """Whether the person shows on leaderboards (yes until they hide)."""
    return not LeaderboardPreference.objects.filter(membership=membership, visible=False).exists()


def on_leaderboards(org: Organization) -> QuerySet[Membership]:
    """Programme members who did not hide from leaderboards."""
    from chorus.engage.points import participants

    return participants(org).exclude(leaderboard_preference__visible=False)


@dataclass(frozen=True)
class Row:
    rank: int
    points: int
    membership: Membership | None = None
    team: Team | None = None
    people: int = 0


@dataclass(frozen=True)
class Board:
    start: date
    end: date
    rows: list[Row]
    # The viewer's own row (None when they have no points in the period or are not listed).
    me: Row | None
    # People (or teams) with points in the period.
    ranked: int


def _ranks(totals: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(id, points) sorted by points → (rank, id, points), equal points sharing a rank."""
    ranked, rank, previous = [], 0, None
    for position, (key, points) in enumerate(totals, start=1):
        if points != previous:
            rank, previous = position, points
        ranked.append((rank, key, points))
    return ranked


def people_board(
    org: Organization,
    viewer: Membership,
    period: str,
    size: int,
    team: Team | None = None,
    today: date | None = None,
) -> Board:
    """The top `size` people of the organisation (or a team) for the period."""
    today = today or timezone.localdate()
    start = period_start(period, today)
    people = on_leaderboards(org)
    if team is not None:
        people = people.filter(team=team)
    totals = (
        PointsEntry.objects.filter(org=org, day__gte=start, day__lte=today, membership__in=people)
        .values("membership_id")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .order_by("-total", "membership_id")
        .values_list("membership_id", "total")
    )
    ranked = _ranks([(member_id, int(total)) for member_id, total in totals])
    top = ranked[:size]
    members = Membership.objects.select_related("user").in_bulk([key for _, key, _ in top])
    rows = [Row(rank, points, membership=members[key]) for rank, key, points in top]
    mine = next((entry for entry in ranked if entry[1] == viewer.pk), None)
    me = Row(mine[0], mine[2], membership=viewer) if mine is not None else None
    return Board(start, today, rows, me, len(ranked))


def team_board(
    org: Organization, viewer: Membership, period: str, size: int, today: date | None = None
) -> Board:
    """The top `size` teams by points per person on the leaderboard, for the period."""
    today = today or timezone.localdate()
    start = period_start(period, today)
    people = on_leaderboards(org)
    teams = (
        Team.objects.filter(org=org)
        .annotate(people=Count("members", filter=Q(members__in=people), distinct=True))
        .filter(people__gte=MIN_TEAM_SIZE)
    )
    points = dict(
        PointsEntry.objects.filter(org=org, day__gte=start, day__lte=today, membership__in=people)
        .values("membership__team_id")
        .annotate(total=Sum("points"))
        .values_list("membership__team_id", "total")
    )
    averages = sorted(
        (
            (team, round((points.get(team.pk) or 0) / team.people))  # type: ignore[attr-defined]
            for team in teams
        ),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    averages = [(team, average) for team, average in averages if average > 0]
    by_id = {team.pk: team for team, _ in averages}
    ranked = _ranks([(team.pk, average) for team, average in averages])
    rows = [
        Row(rank, average, team=by_id[key], people=by_id[key].people)  # type: ignore[attr-defined]
        for rank, key, average in ranked[:size]
    ]
    mine = next((entry for entry in ranked if entry[1] == viewer.team_id), None)
    me = (
        Row(mine[0], mine[2], team=by_id[mine[1]], people=by_id[mine[1]].people)  # type: ignore[attr-defined]
        if mine is not None
        else None
    )
    return Board(start, today, rows, me, len(ranked))
