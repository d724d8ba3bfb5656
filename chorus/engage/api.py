"""API of engagement: my onboarding checklist and nudges, leaderboards and whether I appear
on them, my points and the rules that give them, badges, challenges. Same rules as the pages."""

from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, ModelSchema, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ConfigDict, StrictBool, StrictInt

from chorus.api.common import (
    Date,
    ErrorOut,
    Id,
    InvalidOut,
    Pages,
    current_values,
    membership_of,
    patched,
    require,
    validated,
)
from chorus.engage import actions
from chorus.engage.badges import BADGES
from chorus.engage.forms import ChallengeForm, PointsRulesForm
from chorus.engage.leaderboards import PERIODS, is_visible, people_board, period_start, team_board
from chorus.engage.models import BadgeAward, Challenge, PointsEntry, PointsRules
from chorus.engage.onboarding import checklist
from chorus.engage.onboarding_views import _managed_members
from chorus.engage.points import rules_of
from chorus.orgs.models import Membership, Role, Team
from chorus.program.models import is_participant

router = Router(tags=["engagement"])
Period = Literal["week", "month", "quarter"]  # the keys of PERIODS


# --- Onboarding ---------------------------------------------------------------------------


class StepOut(Schema):
    key: str
    label: str
    done: bool


class ChecklistOut(Schema):
    done: int
    total: int
    steps: list[StepOut]


@router.get("/onboarding", response=ChecklistOut, summary="My onboarding checklist")
def my_onboarding(request: HttpRequest) -> Any:
    found = checklist(membership_of(request))
    return {
        "done": found.done,
        "total": found.total,
        "steps": [
            {"key": step.key, "label": str(step.label), "done": step.done} for step in found.steps
        ],
    }


class NudgeOut(Schema):
    member: int


@router.post(
    "/onboarding/{membership_id}/nudge",
    response={200: NudgeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Nudge a person of my teams about their next onboarding step (once a day)",
)
def nudge(request: HttpRequest, membership_id: Id) -> Any:
    membership = membership_of(request)
    member = get_object_or_404(
        Membership.objects.active().select_related("user", "org"),
        org=membership.org,
        pk=membership_id,
    )
    require(request, Role.TEAM_MANAGER)
    if not _managed_members(membership).filter(pk=member.pk).exists():
        raise PermissionDenied
    try:
        actions.do_nudge(membership, member)
    except actions.ActionRefused as refusal:
        raise HttpError(409, str(refusal)) from None
    return {"member": member.pk}


# --- Leaderboards -------------------------------------------------------------------------


class BoardRowOut(Schema):
    rank: int
    points: int
    member: int | None = None
    name: str = ""
    team: int | None = None
    people: int = 0


class BoardOut(Schema):
    start: date
    end: date
    visible: bool = Field(..., description="Whether I appear on leaderboards.")
    rows: list[BoardRowOut] = Field(..., description="Empty while I hide from leaderboards.")
    me: BoardRowOut | None


def _row(row: Any) -> dict[str, Any]:
    member, team = row.membership, row.team
    return {
        "rank": row.rank,
        "points": row.points,
        "member": member.pk if member else None,
        "name": member.user.display_name if member else (team.name if team else ""),
        "team": team.pk if team else None,
        "people": row.people,
    }


@router.get(
    "/leaderboard",
    response={200: BoardOut, 403: ErrorOut, 404: ErrorOut},
    summary="The leaderboard of the organisation, a team, or the teams",
)
def leaderboard(
    request: HttpRequest,
    period: Period = "month",
    scope: Literal["org", "team", "teams"] = "org",
    team: Id | None = None,
) -> Any:
    membership = membership_of(request)
    visible = is_visible(membership)
    chosen = None
    if scope == "team":
        team_id = team or membership.team_id
        if team_id is None:
            raise Http404
        chosen = get_object_or_404(Team, org=membership.org, pk=team_id)
        own = chosen.pk == membership.team_id or chosen.manager_id == membership.pk
        if not own and not membership.has_role(Role.PROGRAM_MANAGER):
            raise PermissionDenied
    size = rules_of(membership.org).leaderboard_size
    if scope == "teams":
        board = team_board(membership.org, membership, period, size)
    else:
        board = people_board(membership.org, membership, period, size, team=chosen)
    # Hidden people do not see others' ranks: leaderboards work both ways.
    hidden = not visible and is_participant(membership)
    return {
        "start": board.start,
        "end": board.end,
        "visible": visible,
        "rows": [] if hidden else [_row(row) for row in board.rows],
        "me": _row(board.me) if board.me is not None else None,
    }


class VisibilityIn(Schema):
    visible: StrictBool


class VisibilityOut(Schema):
    visible: bool


@router.put(
    "/leaderboard/visibility",
    response={200: VisibilityOut, 422: ErrorOut},
    summary="Appear on leaderboards, or not",
)
def set_visibility(request: HttpRequest, payload: VisibilityIn) -> Any:
    membership = membership_of(request)
    actions.do_set_visibility(membership, payload.visible)
    return {"visible": is_visible(membership)}


# --- Points -------------------------------------------------------------------------------


class PointsEntryOut(Schema):
    day: date
    kind: str
    points: int
    capped: bool


class PointsOut(Schema):
    totals: dict[str, int] = Field(..., description="By period: week, month, quarter.")
    recent: list[PointsEntryOut] = Field(..., description="The last four weeks, newest first.")


@router.get("/points", response=PointsOut, summary="My points and what earned them")
def my_points(request: HttpRequest) -> Any:
    membership = membership_of(request)
    today = timezone.localdate()
    mine = PointsEntry.objects.filter(org=membership.org, membership=membership)
    totals = {
        period: mine.filter(day__gte=period_start(period, today), day__lte=today).aggregate(
            total=Sum("points")
        )["total"]
        or 0
        for period in PERIODS
    }
    recent = mine.filter(day__gte=today - timedelta(days=28)).order_by("-day", "-id")
    return {"totals": totals, "recent": list(recent[:50])}


class RulesOut(ModelSchema):
    class Meta:
        model = PointsRules
        fields = PointsRulesForm.Meta.fields


class RulesPatch(ModelSchema):
    class Meta:
        model = PointsRules
        fields = PointsRulesForm.Meta.fields
        fields_optional = "__all__"

    # Numbers only: pydantic would read true as 1 and "5" as 5.
    model_config = ConfigDict(strict=True)


@router.get("/points/rules", response=RulesOut, summary="How points are earned")
def get_rules(request: HttpRequest) -> Any:
    return rules_of(membership_of(request).org)


@router.patch(
    "/points/rules",
    response={200: RulesOut, 400: InvalidOut, 403: ErrorOut},
    summary="Change how points are earned (points are recomputed)",
)
def patch_rules(request: HttpRequest, payload: RulesPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = patched(PointsRulesForm, rules_of(membership.org), payload.dict(exclude_unset=True))
    actions.do_save_rules(membership, rules_of(membership.org), form.cleaned_data)
    return rules_of(membership.org)


# --- Badges -------------------------------------------------------------------------------


class BadgeOut(Schema):
    key: str
    label: str
    how: str
    earned_at: datetime | None
    count: int | None = Field(None, description="How many have it (program managers only).")


@router.get("/badges", response=list[BadgeOut], summary="Badges: how to earn them, mine")
def badges(request: HttpRequest) -> Any:
    membership = membership_of(request)
    earned = dict(
        BadgeAward.objects.filter(membership=membership).values_list("badge", "awarded_at")
    )
    counts: dict[str, int] | None = None
    if membership.has_role(Role.PROGRAM_MANAGER):
        counts = dict(
            BadgeAward.objects.filter(org=membership.org)
            .values("badge")
            .annotate(total=Count("id"))
            .values_list("badge", "total")
        )
    return [
        {
            "key": badge.key,
            "label": str(badge.label),
            "how": str(badge.how),
            "earned_at": earned.get(badge.key),
            "count": counts.get(badge.key, 0) if counts is not None else None,
        }
        for badge in BADGES
    ]


# --- Challenges ---------------------------------------------------------------------------


class ChallengeOut(Schema):
    id: int
    title: str
    description: str
    metric: str
    target: int
    topic: int | None = Field(None, alias="topic_id")
    campaign: int | None = Field(None, alias="campaign_id")
    starts_on: date
    ends_on: date
    closed_at: datetime | None


class ChallengeIn(Schema):
    title: str = Field(..., examples=["Five original shares in May"])
    description: str = ""
    metric: str = Field(..., json_schema_extra={"enum": list(Challenge.Metric.values)})
    target: StrictInt = Field(..., ge=1, le=1_000_000)
    topic: Id | None = None
    campaign: Id | None = None
    starts_on: Date
    ends_on: Date


class ChallengePatch(Schema):
    title: str | None = None
    description: str | None = None
    metric: str | None = None
    target: StrictInt | None = Field(None, ge=1, le=1_000_000)
    topic: Id | None = None
    campaign: Id | None = None
    starts_on: Date | None = None
    ends_on: Date | None = None


@router.get("/challenges", response=list[ChallengeOut], summary="Challenges, the latest first")
@paginate(Pages)
def list_challenges(request: HttpRequest) -> Any:
    return Challenge.objects.filter(org=membership_of(request).org).order_by("-starts_on", "-id")


def _save_challenge(membership: Membership, found: Challenge | None, values: dict[str, Any]) -> Any:
    form = ChallengeForm(
        {k: v for k, v in values.items() if v is not None}, instance=found, org=membership.org
    )
    data = validated(form)
    try:
        return actions.do_save_challenge(membership, found, data)
    except actions.ActionRefused as refusal:
        raise HttpError(409, str(refusal)) from None


@router.post(
    "/challenges",
    response={201: ChallengeOut, 400: InvalidOut, 403: ErrorOut},
    summary="Start a challenge",
)
def create_challenge(request: HttpRequest, payload: ChallengeIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    return Status(201, _save_challenge(membership, None, payload.dict()))


@router.patch(
    "/challenges/{challenge_id}",
    response={200: ChallengeOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Change a challenge that has not closed",
)
def update_challenge(request: HttpRequest, challenge_id: Id, payload: ChallengePatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    found = get_object_or_404(Challenge, org=membership.org, pk=challenge_id)
    if found.is_closed:
        raise HttpError(409, "This challenge is over: its results are final.")
    names = list(ChallengeForm.base_fields)
    current = current_values(ChallengeForm(instance=found, org=membership.org), names)
    changes = payload.dict(exclude_unset=True)
    return _save_challenge(membership, found, {**current, **changes})
