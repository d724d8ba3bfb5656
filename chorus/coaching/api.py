"""API of coaching: my results, a team's results, private coaching notes and their replies,
workshop follow-ups. A note is seen by its author and its subject only (404 for anyone else)."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from chorus.api.common import ErrorOut, Id, InvalidOut, Pages, membership_of, require, validated
from chorus.coaching import actions
from chorus.coaching.forms import FollowUpForm, NoteForm, ReplyForm
from chorus.coaching.models import CoachingNote, CoachingReply
from chorus.coaching.results import Period, personal_results, team_results
from chorus.coaching.suggestions import suggestions
from chorus.coaching.views import get_coachee, get_note
from chorus.orgs.access import get_team
from chorus.orgs.models import Membership, Role
from chorus.program.models import Workshop, WorkshopSignup
from chorus.sharing.models import Share

router = Router(tags=["coaching"])
Weeks = Literal[4, 12, 26]


class SharedOut(Schema):
    share: int
    network: str
    published_at: datetime
    originality: float | None
    clicks: int


class MyResultsOut(Schema):
    first_day: date
    weeks: int
    shares: list[SharedOut]
    clicks: int
    unique_visitors: int
    leads: int
    engagement: int | None
    weekly_shares: list[int]
    weekly_clicks: list[int]
    weekly_originality: list[float | None]
    suggestions: list[str] = Field(..., description="What the figures suggest trying.")


@router.get("/me/results", response=MyResultsOut, summary="My results over the last weeks")
def my_results(request: HttpRequest, weeks: Weeks = 12) -> Any:
    results = personal_results(membership_of(request), Period.last(weeks))
    return {
        "first_day": results.period.first_day,
        "weeks": results.period.weeks,
        "shares": [
            {
                "share": share.pk,
                "network": share.network,
                "published_at": share.published_at,
                "originality": share.originality,
                "clicks": share.clicks,
            }
            for share in results.shares
        ],
        "clicks": results.clicks,
        "unique_visitors": results.unique_visitors,
        "leads": results.leads,
        "engagement": results.engagement,
        "weekly_shares": results.weekly_shares,
        "weekly_clicks": results.weekly_clicks,
        "weekly_originality": results.weekly_originality,
        "suggestions": [tip.text for tip in suggestions(results)],
    }


class MemberResultOut(Schema):
    member: int
    shares: int
    clicks: int
    originality: float | None
    last_shared_at: datetime | None


class TeamResultsOut(Schema):
    team: int
    first_day: date
    weeks: int
    shares: int
    clicks: int
    originality: float | None
    members: list[MemberResultOut]


@router.get(
    "/teams/{team_id}/results",
    response={200: TeamResultsOut, 403: ErrorOut, 404: ErrorOut},
    tags=["coaching"],
    summary="A team's results and each member's (its manager, program managers)",
)
def team_results_api(request: HttpRequest, team_id: Id, weeks: Weeks = 12) -> Any:
    membership = membership_of(request)
    team = get_team(membership, team_id)
    require(request, Role.TEAM_MANAGER)
    period = Period.last(weeks)
    members = list(Membership.objects.active().filter(org=membership.org, team=team))
    found = team_results(members, period)
    return {
        "team": team.pk,
        "first_day": period.first_day,
        "weeks": period.weeks,
        "shares": found.shares,
        "clicks": found.clicks,
        "originality": found.originality,
        "members": [
            {"member": member_id, **figures.__dict__}
            for member_id, figures in sorted(found.members.items())
        ],
    }


# --- Coaching notes -----------------------------------------------------------------------


class NoteOut(Schema):
    id: int
    author: int | None = Field(None, alias="author_id")
    subject: int = Field(..., alias="subject_id")
    share: int | None = Field(None, alias="share_id")
    workshop: int | None = Field(None, alias="workshop_id")
    text: str
    created_at: datetime
    read_at: datetime | None


class ReplyOut(Schema):
    id: int
    author: int | None = Field(None, alias="author_id")
    text: str
    created_at: datetime


class NoteIn(Schema):
    text: str = Field(..., examples=["Great angle on the launch post!"])
    share: Id | None = Field(None, description="One of the person's recent published shares.")


class ReplyIn(Schema):
    text: str


@router.get(
    "/coaching/notes",
    response=list[NoteOut],
    summary="My coaching notes: received, or written",
)
@paginate(Pages)
def list_notes(request: HttpRequest, box: Literal["received", "written"] = "received") -> Any:
    membership = membership_of(request)
    notes = CoachingNote.objects.filter(org=membership.org)
    if box == "received":
        notes = notes.filter(subject=membership)
    else:
        notes = notes.filter(author=membership)
    return notes.order_by("-created_at", "-id")


@router.post(
    "/coaching/people/{membership_id}/notes",
    response={201: NoteOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Write a private note to a person I coach",
)
def write_note(request: HttpRequest, membership_id: Id, payload: NoteIn) -> Any:
    membership = membership_of(request)
    subject = get_coachee(membership, membership_id)
    require(request, Role.TEAM_MANAGER)
    shares = Share.objects.published().filter(org=membership.org, membership=subject)
    form = NoteForm({"text": payload.text, "share": payload.share or ""}, shares=shares)
    data = validated(form)
    try:
        note = actions.do_write_note(membership, subject, data["text"], share=data["share"])
    except actions.NoteRefused as refusal:
        raise HttpError(409, str(refusal)) from None
    return Status(201, note)


@router.get(
    "/coaching/notes/{coachingnote_id}",
    response={200: NoteOut, 404: ErrorOut},
    summary="A note (marked read when its subject opens it)",
)
def get_coaching_note(request: HttpRequest, coachingnote_id: Id) -> Any:
    membership = membership_of(request)
    note = get_note(membership, coachingnote_id)
    actions.do_mark_read(membership, note)
    return CoachingNote.objects.get(pk=note.pk)


@router.get(
    "/coaching/notes/{coachingnote_id}/replies",
    response={200: list[ReplyOut], 404: ErrorOut},
    summary="A note's replies, oldest first",
)
def list_replies(request: HttpRequest, coachingnote_id: Id) -> Any:
    note = get_note(membership_of(request), coachingnote_id)
    return CoachingReply.objects.filter(note=note).order_by("created_at", "id")


@router.post(
    "/coaching/notes/{coachingnote_id}/replies",
    response={201: ReplyOut, 400: InvalidOut, 404: ErrorOut},
    summary="Reply to a note (its author or its subject)",
)
def reply(request: HttpRequest, coachingnote_id: Id, payload: ReplyIn) -> Any:
    membership = membership_of(request)
    note = get_note(membership, coachingnote_id)
    data = validated(ReplyForm(payload.dict()))
    return Status(201, actions.do_reply(membership, note, data["text"]))


class FollowUpIn(Schema):
    text: str
    attendees: list[Id] | None = Field(
        None, description="Member ids among those who attended; default: every one of them."
    )


@router.post(
    "/workshops/{workshop_id}/follow-up",
    response={201: list[NoteOut], 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["coaching"],
    summary="Send a follow-up note to each person who attended a workshop",
)
def follow_up(request: HttpRequest, workshop_id: Id, payload: FollowUpIn) -> Any:
    membership = membership_of(request)
    workshop = get_object_or_404(Workshop, org=membership.org, pk=workshop_id)
    require(request, Role.PROGRAM_MANAGER)
    attended = (
        Membership.objects.active()
        .filter(
            org=membership.org,
            pk__in=WorkshopSignup.objects.filter(workshop=workshop, attended=True).values(
                "membership_id"
            ),
        )
        .exclude(pk=membership.pk)
    )
    chosen = payload.attendees
    if chosen is None:
        chosen = list(attended.values_list("pk", flat=True))
    data = validated(FollowUpForm({"text": payload.text, "attendees": chosen}, attendees=attended))
    try:
        notes = actions.do_workshop_follow_up(membership, workshop, data["text"], data["attendees"])
    except actions.NoteRefused as refusal:
        raise HttpError(409, str(refusal)) from None
    return Status(201, notes)
