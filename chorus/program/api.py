"""API of the programme: cohorts and invitations, joining, declining and leaving, training
resources, workshops, questions and the FAQ. The pages' forms check the input, their actions
do the work, with the same roles."""

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from chorus.api.common import (
    Date,
    DateTime,
    ErrorOut,
    Id,
    Invalid,
    InvalidOut,
    Pages,
    membership_of,
    require,
    validated,
)
from chorus.content.models import ContentItem
from chorus.orgs.consent import consent_paragraphs
from chorus.orgs.models import Role
from chorus.program import actions
from chorus.program.forms import (
    AnswerForm,
    CohortForm,
    InviteForm,
    LeaveForm,
    QuestionForm,
    ResourceForm,
    WorkshopForm,
)
from chorus.program.models import (
    Cohort,
    Participation,
    Question,
    Resource,
    ResourceRead,
    Workshop,
    WorkshopSignup,
)

router = Router(tags=["programme"])


# --- Participation ------------------------------------------------------------------------


class ParticipationOut(Schema):
    status: str = Field(..., description="invited, active, declined or left; `none`: not invited.")
    cohort: int | None = None
    invited_at: datetime | None = None
    opted_in_at: datetime | None = None
    left_at: datetime | None = None
    consent: list[str] = Field(..., description="What joining means, as the invitation says it.")


def _participation_out(membership: Any) -> ParticipationOut:
    found = Participation.objects.filter(membership=membership).first()
    paragraphs = [f"{heading}: {text}" for heading, text in consent_paragraphs(membership.org)]
    if found is None:
        return ParticipationOut(status="none", consent=paragraphs)
    return ParticipationOut(
        status=found.status,
        cohort=found.cohort_id,
        invited_at=found.invited_at,
        opted_in_at=found.opted_in_at,
        left_at=found.left_at,
        consent=paragraphs,
    )


@router.get("/programme", response=ParticipationOut, summary="My place in the programme")
def my_participation(request: HttpRequest) -> Any:
    return _participation_out(membership_of(request))


class JoinIn(Schema):
    consent: StrictBool = Field(..., description="true: I agree to what `GET /programme` says.")


def _invited(membership: Any) -> Participation:
    found = Participation.objects.filter(membership=membership).first()
    if found is None or found.status != Participation.Status.INVITED:
        raise HttpError(409, "There is no pending invitation to the programme.")
    return found


@router.post(
    "/programme/join",
    response={200: ParticipationOut, 400: InvalidOut, 409: ErrorOut},
    summary="Join the programme I was invited to, agreeing to what it asks",
)
def join(request: HttpRequest, payload: JoinIn) -> Any:
    membership = membership_of(request)
    _invited(membership)
    if not payload.consent:
        message = "Agree to join: send consent true."
        raise Invalid({"consent": [message]}, message)
    actions.do_opt_in(membership)
    return _participation_out(membership)


@router.post(
    "/programme/decline",
    response={200: ParticipationOut, 409: ErrorOut},
    summary="Decline the invitation: no suggestions will come",
)
def decline(request: HttpRequest) -> Any:
    membership = membership_of(request)
    _invited(membership)
    actions.do_decline(membership)
    return _participation_out(membership)


class LeaveIn(Schema):
    attribution: Literal["keep", "anonymise"] = Field(
        "keep",
        description="keep: past shares stay attributed to me; anonymise: they count without "
        "my name or words, and my points, suggestions, questions, notes and profile go.",
    )


@router.post(
    "/programme/leave",
    response={200: ParticipationOut, 400: InvalidOut, 409: ErrorOut},
    summary="Leave the programme at once",
)
def leave(request: HttpRequest, payload: LeaveIn) -> Any:
    membership = membership_of(request)
    found = Participation.objects.filter(membership=membership).first()
    if found is None or not found.is_active:
        raise HttpError(409, "You are not in the programme.")
    data = validated(LeaveForm(payload.dict()))
    actions.do_leave(membership, anonymise=data["attribution"] == "anonymise")
    return _participation_out(membership)


# --- Cohorts and invitations (program managers) --------------------------------------------


class CohortOut(Schema):
    id: int
    name: str
    kind: str
    starts_on: date | None
    description: str


class CohortIn(Schema):
    name: str = Field(..., examples=["Pilot"])
    kind: str = Field(Cohort.Kind.WAVE, json_schema_extra={"enum": list(Cohort.Kind.values)})
    starts_on: Date | None = None
    description: str = ""


@router.get("/cohorts", response={200: list[CohortOut], 403: ErrorOut}, summary="Cohorts")
def list_cohorts(request: HttpRequest) -> Any:
    return Cohort.objects.filter(org=require(request, Role.PROGRAM_MANAGER).org).order_by("id")


@router.post(
    "/cohorts",
    response={201: CohortOut, 400: InvalidOut, 403: ErrorOut},
    summary="Create a cohort (the pilot, then waves)",
)
def create_cohort(request: HttpRequest, payload: CohortIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = CohortForm({k: v for k, v in payload.dict().items() if v is not None})
    validated(form)
    return Status(201, actions.do_create_cohort(membership, form.save(commit=False)))


class InviteIn(Schema):
    emails: list[str] = Field([], max_length=1000, examples=[["ada@example.com"]])
    team: Id | None = Field(None, description="Or everyone in this team.")
    cohort: Id | None = None


class InviteOut(Schema):
    invited: list[str]
    already_in: list[str]
    refused: dict[str, str] = Field(..., description="Address → why it was refused.")


@router.post(
    "/programme/invitations",
    response={200: InviteOut, 400: InvalidOut, 403: ErrorOut},
    summary="Invite people to the programme (by address or team), into a cohort",
)
def invite(request: HttpRequest, payload: InviteIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    values = {
        "emails": "\n".join(payload.emails),
        "team": payload.team or "",
        "cohort": payload.cohort or "",
    }
    data = validated(InviteForm(values, org=membership.org))
    report = actions.do_invite(membership, data["addresses"], data["cohort"], request=request)
    return {
        "invited": report.invited,
        "already_in": report.already_in,
        "refused": {email: str(reason) for email, reason in report.errors},
    }


# --- Training resources -------------------------------------------------------------------


class ResourceTextOut(Schema):
    language: str
    title: str
    body: str


class ResourceOut(Schema):
    id: int
    kind: str
    is_guide: bool
    url: str
    position: int
    texts: list[ResourceTextOut]
    read: bool = False

    @staticmethod
    def resolve_texts(obj: Resource) -> list[Any]:
        return list(obj.texts.all())


class ResourceTextIn(Schema):
    title: str = Field("", max_length=200)
    body: str = ""


class ResourceIn(Schema):
    kind: str = Field(..., json_schema_extra={"enum": list(Resource.Kind.values)})
    is_guide: StrictBool = False
    url: str = ""
    position: StrictInt = Field(0, ge=0, le=32767)
    texts: dict[str, ResourceTextIn] = Field(
        ...,
        description="By language code: at least one title.",
        examples=[{"en": {"title": "Why share"}}],
    )


class ResourcePatch(Schema):
    kind: str | None = None
    is_guide: StrictBool | None = None
    url: str | None = None
    position: StrictInt | None = Field(None, ge=0, le=32767)
    texts: dict[str, ResourceTextIn] | None = Field(
        None, description="Replaces the texts: a language left out loses its text."
    )


def _resource_values(values: dict[str, Any]) -> dict[str, Any]:
    texts = values.pop("texts", None) or {}
    unknown = sorted(set(texts) - {code for code, _name in settings.LANGUAGES})
    if unknown:
        raise Invalid({"texts": [f"Unknown language: {', '.join(unknown)}."]})
    for code, text in texts.items():
        values[f"title_{code}"] = text["title"]
        values[f"body_{code}"] = text["body"]
    return values


def _resource_out(resource: Resource, membership: Any) -> Any:
    found = Resource.objects.prefetch_related("texts").get(pk=resource.pk)
    found.read = ResourceRead.objects.filter(resource=found, membership=membership).exists()  # type: ignore[attr-defined]
    return found


@router.get("/resources", response=list[ResourceOut], summary="Training resources")
@paginate(Pages)
def list_resources(request: HttpRequest) -> Any:
    membership = membership_of(request)
    read = set(
        ResourceRead.objects.filter(membership=membership).values_list("resource_id", flat=True)
    )
    resources = list(
        Resource.objects.filter(org=membership.org)
        .prefetch_related("texts")
        .order_by("position", "id")
    )
    for resource in resources:
        resource.read = resource.pk in read  # type: ignore[attr-defined]
    return resources


@router.post(
    "/resources",
    response={201: ResourceOut, 400: InvalidOut, 403: ErrorOut},
    summary="Add a training resource, its text in each language",
)
def create_resource(request: HttpRequest, payload: ResourceIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    data = validated(ResourceForm(_resource_values(payload.dict())))
    return Status(201, _resource_out(actions.do_save_resource(membership, None, data), membership))


@router.patch(
    "/resources/{resource_id}",
    response={200: ResourceOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a training resource",
)
def update_resource(request: HttpRequest, resource_id: Id, payload: ResourcePatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    found = get_object_or_404(
        Resource.objects.prefetch_related("texts"), org=membership.org, pk=resource_id
    )
    current: dict[str, Any] = {
        "kind": found.kind,
        "is_guide": found.is_guide,
        "url": found.url,
        "position": found.position,
    }
    for text in found.texts.all():
        current[f"title_{text.language}"] = text.title
        current[f"body_{text.language}"] = text.body
    changes = payload.dict(exclude_unset=True)
    if "texts" in changes:
        for code, _name in settings.LANGUAGES:
            current.pop(f"title_{code}", None)
            current.pop(f"body_{code}", None)
    values = {k: v for k, v in {**current, **_resource_values(changes)}.items() if v is not None}
    data = validated(ResourceForm(values))
    return _resource_out(actions.do_save_resource(membership, found, data), membership)


@router.post(
    "/resources/{resource_id}/read",
    response={200: ResourceOut, 404: ErrorOut},
    summary="I have read it (a step of the onboarding)",
)
def mark_read(request: HttpRequest, resource_id: Id) -> Any:
    membership = membership_of(request)
    found = get_object_or_404(Resource, org=membership.org, pk=resource_id)
    actions.do_mark_read(membership, found)
    return _resource_out(found, membership)


# --- Workshops ----------------------------------------------------------------------------


class WorkshopOut(Schema):
    id: int
    title: str
    description: str
    language: str
    starts_at: datetime
    duration_minutes: int
    location: str
    capacity: int | None
    signed_up: int = Field(0, description="People signed up.")
    mine: bool = Field(False, description="Whether I am signed up.")


class WorkshopIn(Schema):
    title: str = Field(..., examples=["Writing in your own voice"])
    description: str = ""
    language: str = ""
    starts_at: DateTime = Field(..., description="In the future.")
    duration_minutes: StrictInt = Field(60, ge=15, le=480)
    location: str = ""
    capacity: StrictInt | None = Field(None, ge=1, le=32767)


def _workshop_out(workshop: Workshop, membership: Any) -> dict[str, Any]:
    signups = WorkshopSignup.objects.filter(workshop=workshop)
    return {
        **{
            field: getattr(workshop, field)
            for field in WorkshopOut.model_fields
            if hasattr(workshop, field)
        },
        "id": workshop.pk,
        "signed_up": signups.count(),
        "mine": signups.filter(membership=membership).exists(),
    }


@router.get("/workshops", response=list[WorkshopOut], summary="Workshops, the next first")
@paginate(Pages)
def list_workshops(request: HttpRequest, upcoming: bool = True) -> Any:
    membership = membership_of(request)
    workshops = Workshop.objects.filter(org=membership.org).annotate(
        signed_up=Count("signups"),
        mine=Count("signups", filter=Q(signups__membership=membership)),
    )
    now = timezone.now()
    if upcoming:
        return workshops.filter(starts_at__gt=now).order_by("starts_at", "id")
    return workshops.filter(starts_at__lte=now).order_by("-starts_at", "-id")


@router.post(
    "/workshops",
    response={201: WorkshopOut, 400: InvalidOut, 403: ErrorOut},
    summary="Plan a workshop",
)
def create_workshop(request: HttpRequest, payload: WorkshopIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    form = WorkshopForm({k: v for k, v in payload.dict().items() if v is not None})
    validated(form)
    workshop = actions.do_create_workshop(membership, form.save(commit=False))
    return Status(201, _workshop_out(workshop, membership))


def _workshop(membership: Any, workshop_id: int) -> Workshop:
    return get_object_or_404(Workshop, org=membership.org, pk=workshop_id)


def _refused(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except actions.ActionRefused as refusal:
        raise HttpError(409, str(refusal)) from None


@router.post(
    "/workshops/{workshop_id}/signup",
    response={200: WorkshopOut, 404: ErrorOut, 409: ErrorOut},
    summary="Sign up for a workshop (programme members)",
)
def signup(request: HttpRequest, workshop_id: Id) -> Any:
    membership = membership_of(request)
    workshop = _workshop(membership, workshop_id)
    _refused(actions.do_signup, membership, workshop)
    return _workshop_out(workshop, membership)


@router.delete(
    "/workshops/{workshop_id}/signup",
    response={200: WorkshopOut, 404: ErrorOut, 409: ErrorOut},
    summary="Release my place",
)
def cancel_signup(request: HttpRequest, workshop_id: Id) -> Any:
    membership = membership_of(request)
    workshop = _workshop(membership, workshop_id)
    _refused(actions.do_cancel_signup, membership, workshop)
    return _workshop_out(workshop, membership)


class SignupOut(Schema):
    id: int
    member: int = Field(..., alias="membership_id")
    attended: bool | None


class AttendanceIn(Schema):
    present: list[Id] = Field(..., description="Ids of the sign-ups who came; the others did not.")


@router.get(
    "/workshops/{workshop_id}/signups",
    response={200: list[SignupOut], 403: ErrorOut, 404: ErrorOut},
    summary="Who signed up, and who came",
)
def list_signups(request: HttpRequest, workshop_id: Id) -> Any:
    membership = membership_of(request)
    workshop = _workshop(membership, workshop_id)
    require(request, Role.PROGRAM_MANAGER)
    return WorkshopSignup.objects.filter(workshop=workshop).order_by("id")


@router.put(
    "/workshops/{workshop_id}/attendance",
    response={200: list[SignupOut], 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record who came",
)
def record_attendance(request: HttpRequest, workshop_id: Id, payload: AttendanceIn) -> Any:
    membership = membership_of(request)
    workshop = _workshop(membership, workshop_id)
    require(request, Role.PROGRAM_MANAGER)
    signups = WorkshopSignup.objects.filter(workshop=workshop)
    unknown = set(payload.present) - set(signups.values_list("pk", flat=True))
    if unknown:
        raise Invalid({"present": [f"Not sign-ups of this workshop: {sorted(unknown)}."]})
    actions.do_record_attendance(membership, workshop, set(payload.present))
    return signups.order_by("id")


# --- Questions and FAQ --------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    text: str
    item: int | None = Field(None, alias="item_id")
    asked_at: datetime
    answer: str
    answered_at: datetime | None
    in_faq: bool
    faq_question: str
    faq_answer: str


class QuestionIn(Schema):
    text: str = Field(..., examples=["May I share in German?"])
    item: Id | None = Field(None, description="The content item it is about, if any.")


class AnswerIn(Schema):
    answer: str
    in_faq: StrictBool = False
    faq_question: str = ""
    faq_answer: str = ""


@router.get(
    "/questions",
    response=list[QuestionOut],
    summary="Questions: mine, or every one for the programme team",
)
@paginate(Pages)
def list_questions(request: HttpRequest, answered: bool | None = None) -> Any:
    membership = membership_of(request)
    questions = Question.objects.filter(org=membership.org)
    if not membership.has_role(Role.PROGRAM_MANAGER):
        questions = questions.filter(asked_by=membership)
    if answered is not None:
        questions = questions.filter(answered_at__isnull=not answered)
    return questions.order_by("-asked_at", "-id")


@router.post(
    "/questions",
    response={201: QuestionOut, 400: InvalidOut, 404: ErrorOut},
    summary="Ask the programme team (the answer comes as a notification)",
)
def ask(request: HttpRequest, payload: QuestionIn) -> Any:
    membership = membership_of(request)
    data = validated(QuestionForm({"text": payload.text}))
    item = None
    if payload.item is not None:
        item = get_object_or_404(ContentItem.objects.visible_to(membership), pk=payload.item)
    with translation.override(membership.user.language or membership.org.default_language):
        question = actions.do_ask(membership, data["text"], item=item)
    return Status(201, question)


def _question(membership: Any, question_id: int) -> Question:
    found = get_object_or_404(Question, org=membership.org, pk=question_id)
    if not membership.has_role(Role.PROGRAM_MANAGER) and found.asked_by_id != membership.pk:
        raise PermissionDenied
    return found


@router.get(
    "/questions/{question_id}",
    response={200: QuestionOut, 403: ErrorOut, 404: ErrorOut},
    summary="One question",
)
def get_question(request: HttpRequest, question_id: Id) -> Any:
    return _question(membership_of(request), question_id)


@router.post(
    "/questions/{question_id}/answer",
    response={200: QuestionOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Answer a question, and perhaps add it to the FAQ (program managers)",
)
def answer(request: HttpRequest, question_id: Id, payload: AnswerIn) -> Any:
    membership = membership_of(request)
    found = _question(membership, question_id)
    require(request, Role.PROGRAM_MANAGER)
    data = validated(AnswerForm(payload.dict()))
    return actions.do_answer(membership, found, data)


class FaqOut(Schema):
    question: str
    answer: str


@router.get("/faq", response=list[FaqOut], summary="The FAQ")
@paginate(Pages)
def faq(request: HttpRequest) -> Any:
    entries = Question.objects.filter(
        org=membership_of(request).org, in_faq=True, answered_at__isnull=False
    ).order_by("faq_question", "id")
    return [
        {"question": entry.faq_question or entry.text, "answer": entry.faq_answer or entry.answer}
        for entry in entries
    ]
