"""API of the content hub: topics, campaigns, content items and captions, sources,
curation, suggestions. Input is validated by the same forms as the pages."""

import io
from datetime import date, datetime
from typing import Any

from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
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
    current_values,
    membership_of,
    require,
)
from chorus.content import actions
from chorus.content.access import (
    get_campaign,
    get_caption,
    get_import_job,
    get_item,
    get_persona,
    get_suggestion,
    get_topic,
)
from chorus.content.access import (
    get_source as get_managed_source,
)
from chorus.content.forms import (
    CampaignForm,
    CaptionCheckForm,
    CaptionForm,
    ContentItemForm,
    PersonaForm,
    SourceForm,
    SuggestionForm,
    TopicForm,
)
from chorus.content.importing import ImportRefused, check_upload
from chorus.content.library import search_items
from chorus.content.models import (
    Campaign,
    Caption,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Persona,
    Source,
    Suggestion,
    Topic,
)
from chorus.lib.text_metrics import check_all, check_caption
from chorus.orgs.models import Role

router = Router(tags=["content"])


def _validate(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise Invalid({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return dict(form.cleaned_data)


# --- Schemas ---


class TopicOut(Schema):
    id: int
    name: str
    description: str
    subscription: str


class TopicIn(Schema):
    name: str
    description: str = ""
    subscription: str = Topic.Subscription.OPEN


class CampaignOut(Schema):
    id: int
    name: str
    slug: str
    objective: str
    description: str
    starts_on: date | None
    ends_on: date | None
    target_networks: list[str]
    target_teams: list[int] = Field(default_factory=list)
    target_personas: list[int] = Field(default_factory=list)
    cta_url: str
    priority: int
    kpis: list[str]

    @staticmethod
    def resolve_target_teams(obj: Campaign) -> list[int]:
        return [team.pk for team in obj.target_teams.all()]

    @staticmethod
    def resolve_target_personas(obj: Campaign) -> list[int]:
        return [persona.pk for persona in obj.target_personas.all()]


class CampaignIn(Schema):
    name: str
    slug: str
    objective: str
    description: str = ""
    starts_on: Date | None = None
    ends_on: Date | None = None
    target_networks: list[str] = []
    target_teams: list[Id] = []
    target_personas: list[Id] = []
    cta_url: str = ""
    priority: int = 3
    kpis: list[str] = []


class CaptionOut(Schema):
    id: int
    network: str
    language: str
    text: str
    length: int
    limit: int
    fits: bool


class CaptionIn(Schema):
    network: str
    language: str
    text: str


class ContentOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    canonical_url: str
    summary: str
    talking_points: str
    engagement_tip: str
    conversation_starter: str
    image_url: str
    site_name: str
    language: str
    topics: list[int]
    campaign: int | None = Field(None, alias="campaign_id")
    status: str
    publish_at: datetime | None
    expire_at: datetime | None
    pinned: bool
    internal_only: bool
    preview_status: str
    preview_error: str
    suggested_by: str | None
    captions: list[CaptionOut]
    created_at: datetime

    @staticmethod
    def resolve_topics(obj: ContentItem) -> list[int]:
        return [topic.pk for topic in obj.topics.all()]

    @staticmethod
    def resolve_suggested_by(obj: ContentItem) -> str | None:
        return obj.suggested_by.user.email if obj.suggested_by_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_captions(obj: ContentItem) -> list[dict[str, Any]]:
        return [_caption_out(caption) for caption in obj.captions.all()]


class ContentIn(Schema):
    kind: str = ContentItem.Kind.LINK
    title: str = ""
    url: str = ""
    summary: str = ""
    talking_points: str = ""
    engagement_tip: str = ""
    conversation_starter: str = ""
    language: str = ""
    topics: list[Id] = []
    campaign: Id | None = None
    status: str = ContentItem.Status.DRAFT
    publish_at: DateTime | None = None
    expire_at: DateTime | None = None
    pinned: bool = False
    internal_only: bool = False


class ContentPatch(Schema):
    kind: str | None = None
    title: str | None = None
    url: str | None = None
    summary: str | None = None
    talking_points: str | None = None
    engagement_tip: str | None = None
    conversation_starter: str | None = None
    language: str | None = None
    topics: list[Id] | None = None
    campaign: Id | None = None
    status: str | None = None
    publish_at: DateTime | None = None
    expire_at: DateTime | None = None
    pinned: bool | None = None
    internal_only: bool | None = None


class ContentFilters(Schema):
    q: str = ""
    topic: Id | None = None
    campaign: Id | None = None
    network: str = ""
    language: str = ""
    status: str = ""
    kind: str = ""


class SourceOut(Schema):
    id: int
    name: str
    url: str
    is_active: bool
    auto_publish: bool
    daily_cap: int
    poll_minutes: int
    default_topics: list[int]
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    last_error: str
    failure_count: int

    @staticmethod
    def resolve_default_topics(obj: Source) -> list[int]:
        return [topic.pk for topic in obj.default_topics.all()]


class SourceIn(Schema):
    url: str
    name: str = ""
    default_topics: list[Id] = []
    is_active: bool = True
    auto_publish: bool = False
    daily_cap: int = 3
    poll_minutes: int = 60


class EntryOut(Schema):
    id: int
    source: int = Field(..., alias="source_id")
    title: str
    url: str
    canonical_url: str
    summary: str
    published_at: datetime | None
    status: str
    content: int | None = Field(None, alias="content_item_id")


class SuggestionIn(Schema):
    url: str = ""
    text: str = ""
    note: str = ""


class SuggestionOut(Schema):
    id: int
    url: str
    text: str
    note: str
    status: str
    decline_reason: str
    suggested_by: str
    content: int | None = Field(None, alias="content_item_id")
    created_at: datetime

    @staticmethod
    def resolve_suggested_by(obj: Suggestion) -> str:
        return obj.suggested_by.user.email


class DeclineIn(Schema):
    reason: str


def _caption_out(caption: Caption) -> dict[str, Any]:
    check = check_caption(caption.text, caption.network)
    return {
        "id": caption.pk,
        "network": caption.network,
        "language": caption.language,
        "text": caption.text,
        "length": check.length,
        "limit": check.limit,
        "fits": check.fits,
    }


# --- Topics and campaigns ---


@router.get("/topics", response=list[TopicOut], summary="Topics")
def list_topics(request: HttpRequest) -> Any:
    return Topic.objects.filter(org=membership_of(request).org)


@router.post(
    "/topics", response={201: TopicOut, 400: InvalidOut, 403: ErrorOut}, summary="Create a topic"
)
def create_topic(request: HttpRequest, payload: TopicIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    data = _validate(TopicForm(payload.dict()))
    if Topic.objects.filter(org=membership.org, name__iexact=data["name"]).exists():
        raise Invalid({"name": ["This name is already used."]})
    return Status(201, actions.do_save_simple(membership, Topic(), data, "topic"))


@router.get("/campaigns", response={200: list[CampaignOut], 403: ErrorOut}, summary="Campaigns")
def list_campaigns(request: HttpRequest) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    return Campaign.objects.filter(org=membership.org).prefetch_related(
        "target_teams", "target_personas"
    )


@router.post(
    "/campaigns",
    response={201: CampaignOut, 400: InvalidOut, 403: ErrorOut},
    summary="Create a campaign",
)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    data = _validate(CampaignForm(payload.dict(), org=membership.org))
    teams, personas = data.pop("target_teams"), data.pop("target_personas")
    return Status(
        201, actions.do_save_campaign(membership, None, data, teams=teams, personas=personas)
    )


# --- Content ---

# Before `/content/{contentitem_id}`: the first pattern that matches a path answers it.
BULK_STATUS = {
    "publish": ContentItem.Status.PUBLISHED,
    "archive": ContentItem.Status.ARCHIVED,
    "draft": ContentItem.Status.DRAFT,
}


class BulkIn(Schema):
    action: str = Field(..., json_schema_extra={"enum": [*BULK_STATUS, "delete"]})
    items: list[Id] = Field(..., min_length=1, max_length=500)


class BulkOut(Schema):
    count: int = Field(..., description="Items changed (or deleted).")


@router.post(
    "/content/bulk",
    response={200: BulkOut, 400: InvalidOut, 403: ErrorOut},
    summary="Publish, archive, make draft or delete several items at once",
)
def bulk_content(request: HttpRequest, payload: BulkIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    if payload.action not in (*BULK_STATUS, "delete"):
        raise Invalid({"action": [f"One of: {', '.join([*BULK_STATUS, 'delete'])}."]})
    items = list(ContentItem.objects.filter(org=membership.org, pk__in=payload.items))
    if len(items) != len(set(payload.items)):
        raise Invalid({"items": ["Unknown item ids: nothing was changed."]})
    if payload.action == "delete":
        return {"count": actions.do_delete_items(membership, items)}
    return {"count": actions.do_set_items_status(membership, items, BULK_STATUS[payload.action])}


class ImportIn(Schema):
    filename: str = Field("import.csv", max_length=255)
    csv: str = Field(
        ...,
        description="The CSV text, first line naming the columns (title or url at least), "
        "as the import page takes it.",
        examples=["title,url,topics\nOur launch,https://example.com/launch,News\n"],
    )


class ImportJobOut(Schema):
    id: int
    filename: str
    status: str
    rows_total: int
    rows_done: int
    created_count: int
    refused: list[Any] = Field(..., description="[line number, reason] pairs.")
    error: str
    created_at: datetime
    finished_at: datetime | None


@router.post(
    "/content/import",
    response={202: ImportJobOut, 400: InvalidOut, 403: ErrorOut},
    summary="Import items from CSV text: checked now, imported by the worker",
)
def import_content(request: HttpRequest, payload: ImportIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    try:
        checked = check_upload(io.BytesIO(payload.csv.encode()))
    except ImportRefused as refusal:
        raise Invalid({"csv": [str(refusal.message)]}, str(refusal.message)) from None
    job = actions.do_start_import(membership, payload.filename, checked.rows, checked.left_out)
    return Status(202, ImportJob.objects.get(pk=job.pk))


@router.get(
    "/content/import/{importjob_id}",
    response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut},
    summary="An import's progress, then what it created and refused",
)
def get_import(request: HttpRequest, importjob_id: Id) -> Any:
    return get_import_job(require(request, Role.PROGRAM_MANAGER), importjob_id)


def _item_queryset(items: Any) -> Any:
    return items.select_related("suggested_by__user").prefetch_related("topics", "captions")


@router.get("/content", response=list[ContentOut], summary="Search the library")
@paginate(Pages)
def list_content(request: HttpRequest, filters: Query[ContentFilters]) -> Any:
    return _item_queryset(search_items(membership_of(request), filters.dict()))


@router.get(
    "/content/{contentitem_id}", response={200: ContentOut, 404: ErrorOut}, summary="One item"
)
def get_content(request: HttpRequest, contentitem_id: Id) -> Any:
    item = get_item(membership_of(request), contentitem_id)
    return _item_queryset(ContentItem.objects.filter(pk=item.pk)).get()


def _item_form_data(values: dict[str, Any]) -> dict[str, Any]:
    data = dict(values)
    data["campaign"] = data.get("campaign") or ""
    for field in ("publish_at", "expire_at"):
        if isinstance(data.get(field), datetime):
            data[field] = data[field].strftime("%Y-%m-%dT%H:%M")
    return {key: value for key, value in data.items() if value is not None}


def _save_item(request: HttpRequest, item: ContentItem | None, data: dict[str, Any]) -> ContentItem:
    membership = membership_of(request)
    form = ContentItemForm(_item_form_data(data), org=membership.org)
    cleaned = _validate(form)
    topics = cleaned.pop("topics")
    cleaned.pop("image", None)
    if not cleaned.get("language"):
        cleaned.pop("language", None)
    return actions.do_save_item(membership, item, cleaned, topics=topics)


@router.post(
    "/content", response={201: ContentOut, 400: InvalidOut, 403: ErrorOut}, summary="Create an item"
)
def create_content(request: HttpRequest, payload: ContentIn) -> Any:
    require(request, Role.PROGRAM_MANAGER)
    item = _save_item(request, None, payload.dict())
    return Status(201, _item_queryset(ContentItem.objects.filter(pk=item.pk)).get())


@router.patch(
    "/content/{contentitem_id}",
    response={200: ContentOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change an item",
)
def update_content(request: HttpRequest, contentitem_id: Id, payload: ContentPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    item = get_item(membership, contentitem_id, manage=True)
    current = model_to_dict(item, fields=list(ContentIn.model_fields))
    current["topics"] = [topic.pk for topic in item.topics.all()]
    if not item.language_locked:
        current["language"] = ""
    changes = payload.dict(exclude_unset=True)
    saved = _save_item(request, ContentItem.objects.get(pk=item.pk), {**current, **changes})
    return _item_queryset(ContentItem.objects.filter(pk=saved.pk)).get()


@router.post(
    "/content/{contentitem_id}/captions",
    response={201: CaptionOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add a caption variant",
)
def add_caption(request: HttpRequest, contentitem_id: Id, payload: CaptionIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    item = get_item(membership, contentitem_id, manage=True)
    data = _validate(CaptionForm(payload.dict()))
    return Status(201, _caption_out(actions.do_save_caption(membership, item, None, **data)))


# --- Sources and curation ---


@router.get("/sources", response={200: list[SourceOut], 403: ErrorOut}, summary="Monitored sources")
def list_sources(request: HttpRequest) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    return Source.objects.filter(org=membership.org).prefetch_related("default_topics")


@router.post(
    "/sources", response={201: SourceOut, 400: InvalidOut, 403: ErrorOut}, summary="Add a source"
)
def create_source(request: HttpRequest, payload: SourceIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    values = payload.dict()
    values["name"] = values["name"] or values["url"][:120]
    data = _validate(SourceForm(values, org=membership.org))
    topics = data.pop("default_topics")
    return Status(201, actions.do_save_source(membership, None, data, topics=topics))


@router.get(
    "/sources/{source_id}",
    response={200: SourceOut, 403: ErrorOut, 404: ErrorOut},
    summary="One source",
)
def get_source(request: HttpRequest, source_id: Id) -> Any:
    membership = membership_of(request)
    source = get_object_or_404(Source, org=membership.org, pk=source_id)
    require(request, Role.PROGRAM_MANAGER)
    return source


@router.get("/curation", response={200: list[EntryOut], 403: ErrorOut}, summary="Curation inbox")
@paginate(Pages)
def list_curation(
    request: HttpRequest, source: Id | None = None, status: CuratedEntry.Status | None = None
) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    entries = CuratedEntry.objects.filter(org=membership.org)
    if source is not None:
        entries = entries.filter(source_id=source)
    if status:
        entries = entries.filter(status=status)
    return entries.order_by("-published_at", "-id")


@router.post(
    "/curation/{curatedentry_id}/promote",
    response={201: ContentOut, 403: ErrorOut, 404: ErrorOut},
    summary="Promote an entry to a draft item",
)
def promote_entry(request: HttpRequest, curatedentry_id: Id) -> Any:
    membership = membership_of(request)
    entry = get_object_or_404(CuratedEntry, org=membership.org, pk=curatedentry_id)
    require(request, Role.PROGRAM_MANAGER)
    item = actions.do_promote_entry(membership, entry)
    return Status(201, _item_queryset(ContentItem.objects.filter(pk=item.pk)).get())


@router.post(
    "/curation/{curatedentry_id}/dismiss",
    response={200: EntryOut, 403: ErrorOut, 404: ErrorOut},
    summary="Dismiss an entry",
)
def dismiss_entry(request: HttpRequest, curatedentry_id: Id) -> Any:
    membership = membership_of(request)
    entry = get_object_or_404(CuratedEntry, org=membership.org, pk=curatedentry_id)
    require(request, Role.PROGRAM_MANAGER)
    actions.do_dismiss_entry(membership, entry)
    return entry


# --- Suggestions ---


@router.post(
    "/suggestions", response={201: SuggestionOut, 400: InvalidOut}, summary="Suggest content"
)
def create_suggestion(request: HttpRequest, payload: SuggestionIn) -> Any:
    membership = membership_of(request)
    data = _validate(SuggestionForm(payload.dict()))
    return Status(201, actions.do_suggest(membership, **data))


@router.get(
    "/suggestions",
    response=list[SuggestionOut],
    summary="Suggestions (yours, or all for program managers)",
)
def list_suggestions(request: HttpRequest, status: Suggestion.Status | None = None) -> Any:
    membership = membership_of(request)
    suggestions = Suggestion.objects.filter(org=membership.org).select_related("suggested_by__user")
    if not membership.can_manage_programme:
        suggestions = suggestions.filter(suggested_by=membership)
    if status:
        suggestions = suggestions.filter(status=status)
    return suggestions


@router.post(
    "/suggestions/{suggestion_id}/accept",
    response={201: ContentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Accept a suggestion",
)
def accept_suggestion(request: HttpRequest, suggestion_id: Id) -> Any:
    membership = membership_of(request)
    suggestion = get_suggestion(membership, suggestion_id, manage=True)
    try:
        item = actions.do_accept_suggestion(membership, suggestion)
    except ValueError as error:
        raise HttpError(409, str(error)) from None
    return Status(201, _item_queryset(ContentItem.objects.filter(pk=item.pk)).get())


@router.post(
    "/suggestions/{suggestion_id}/decline",
    response={200: SuggestionOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Decline a suggestion with a reason",
)
def decline_suggestion(request: HttpRequest, suggestion_id: Id, payload: DeclineIn) -> Any:
    membership = membership_of(request)
    suggestion = get_suggestion(membership, suggestion_id, manage=True)
    reason = payload.reason.strip()
    if not reason:
        message = "Give a reason: the person will see it."
        raise Invalid({"reason": [message]}, message)
    try:
        actions.do_decline_suggestion(membership, suggestion, reason[:500])
    except ValueError as error:
        raise HttpError(409, str(error)) from None
    return Suggestion.objects.select_related("suggested_by__user").get(pk=suggestion.pk)


# --- Editing and deleting what the pages edit and delete ----------------------------------


class TopicPatch(Schema):
    name: str | None = None
    description: str | None = None
    subscription: str | None = Field(None, examples=["open"])


class PersonaOut(Schema):
    id: int
    name: str
    description: str


class PersonaIn(Schema):
    name: str = Field(..., examples=["CIOs in retail"])
    description: str = ""


class PersonaPatch(Schema):
    name: str | None = None
    description: str | None = None


def _name_taken(model: Any, membership: Any, name: str, instance: Any = None) -> None:
    others = model.objects.filter(org=membership.org, name__iexact=name)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise Invalid({"name": ["This name is already used."]})


def _save_simple(
    request: HttpRequest, model: Any, form_class: Any, instance: Any, changes: dict[str, Any]
) -> Any:
    """Create or change a topic or persona through the page's form and action."""
    membership = require(request, Role.PROGRAM_MANAGER)
    kind = model.__name__.lower()
    names = list(form_class.base_fields)
    current = current_values(form_class(instance=instance), names) if instance else {}
    data = _validate(form_class({**current, **changes}))
    _name_taken(model, membership, data["name"], instance)
    target = model.objects.get(pk=instance.pk) if instance else model()
    return actions.do_save_simple(membership, target, data, kind)


@router.patch(
    "/topics/{topic_id}",
    response={200: TopicOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a topic",
)
def update_topic(request: HttpRequest, topic_id: Id, payload: TopicPatch) -> Any:
    topic = get_topic(require(request, Role.PROGRAM_MANAGER), topic_id)
    return _save_simple(request, Topic, TopicForm, topic, payload.dict(exclude_unset=True))


@router.delete(
    "/topics/{topic_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a topic (its items stay)",
)
def delete_topic(request: HttpRequest, topic_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    actions.do_delete(membership, get_topic(membership, topic_id), "topic")
    return Status(204, None)


@router.get(
    "/personas", response={200: list[PersonaOut], 403: ErrorOut}, summary="Personas (audiences)"
)
def list_personas(request: HttpRequest) -> Any:
    return Persona.objects.filter(org=require(request, Role.PROGRAM_MANAGER).org)


@router.post(
    "/personas",
    response={201: PersonaOut, 400: InvalidOut, 403: ErrorOut},
    summary="Create a persona (an audience campaigns can target)",
)
def create_persona(request: HttpRequest, payload: PersonaIn) -> Any:
    return Status(201, _save_simple(request, Persona, PersonaForm, None, payload.dict()))


@router.patch(
    "/personas/{persona_id}",
    response={200: PersonaOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a persona",
)
def update_persona(request: HttpRequest, persona_id: Id, payload: PersonaPatch) -> Any:
    persona = get_persona(require(request, Role.PROGRAM_MANAGER), persona_id)
    return _save_simple(request, Persona, PersonaForm, persona, payload.dict(exclude_unset=True))


@router.delete(
    "/personas/{persona_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a persona",
)
def delete_persona(request: HttpRequest, persona_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    actions.do_delete(membership, get_persona(membership, persona_id), "persona")
    return Status(204, None)


class CampaignPatch(Schema):
    name: str | None = None
    slug: str | None = None
    objective: str | None = None
    description: str | None = None
    starts_on: Date | None = None
    ends_on: Date | None = None
    target_networks: list[str] | None = None
    target_teams: list[Id] | None = None
    target_personas: list[Id] | None = None
    cta_url: str | None = None
    priority: StrictInt | None = None
    kpis: list[str] | None = None


@router.patch(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a campaign (send only the fields to change)",
)
def update_campaign(request: HttpRequest, campaign_id: Id, payload: CampaignPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    campaign = get_campaign(membership, campaign_id)
    names = list(CampaignForm.base_fields)
    current = current_values(CampaignForm(instance=campaign, org=membership.org), names)
    changes = payload.dict(exclude_unset=True)
    values = {k: v for k, v in {**current, **changes}.items() if v is not None}
    data = _validate(CampaignForm(values, instance=campaign, org=membership.org))
    teams, personas = data.pop("target_teams"), data.pop("target_personas")
    saved = actions.do_save_campaign(
        membership, Campaign.objects.get(pk=campaign.pk), data, teams=teams, personas=personas
    )
    return Campaign.objects.prefetch_related("target_teams", "target_personas").get(pk=saved.pk)


class SourcePatch(Schema):
    url: str | None = None
    name: str | None = None
    default_topics: list[Id] | None = None
    is_active: StrictBool | None = None
    auto_publish: StrictBool | None = None
    daily_cap: StrictInt | None = None
    poll_minutes: StrictInt | None = None


@router.patch(
    "/sources/{source_id}",
    response={200: SourceOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a monitored source",
)
def update_source(request: HttpRequest, source_id: Id, payload: SourcePatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    source = get_managed_source(membership, source_id)
    names = list(SourceForm.base_fields)
    current = current_values(SourceForm(instance=source, org=membership.org), names)
    changes = payload.dict(exclude_unset=True)
    values = {k: v for k, v in {**current, **changes}.items() if v is not None}
    data = _validate(SourceForm(values, instance=source, org=membership.org))
    topics = data.pop("default_topics")
    actions.do_save_source(membership, Source.objects.get(pk=source.pk), data, topics=topics)
    return Source.objects.prefetch_related("default_topics").get(pk=source.pk)


@router.delete(
    "/sources/{source_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a source (items already made from it stay)",
)
def delete_source(request: HttpRequest, source_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    actions.do_delete(membership, get_managed_source(membership, source_id), "source")
    return Status(204, None)


@router.post(
    "/sources/{source_id}/poll",
    response={202: SourceOut, 403: ErrorOut, 404: ErrorOut},
    summary="Poll a source now (the worker fetches it within moments)",
)
def poll_source(request: HttpRequest, source_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    source = get_managed_source(membership, source_id)
    actions.do_poll_now(membership, source)
    return Status(202, Source.objects.prefetch_related("default_topics").get(pk=source.pk))


# --- Captions -----------------------------------------------------------------------------


class CaptionPatch(Schema):
    network: str | None = None
    language: str | None = None
    text: str | None = None


class CaptionCheckIn(Schema):
    network: str = Field(..., examples=["linkedin"])
    text: str = Field("", max_length=10000)


class CaptionCheckOut(Schema):
    network: str
    length: int
    limit: int
    fits: bool


# Before `/captions/{caption_id}`: the first pattern that matches a path answers it.
@router.post(
    "/captions/check",
    response={200: list[CaptionCheckOut], 400: InvalidOut},
    summary="A text's length against every network's limit (the caption box's counter)",
)
def check_caption_text(request: HttpRequest, payload: CaptionCheckIn) -> Any:
    data = _validate(CaptionCheckForm(payload.dict()))
    return [
        {"network": network, "length": check.length, "limit": check.limit, "fits": check.fits}
        for network, check in check_all(data["text"]).items()
    ]


@router.patch(
    "/captions/{caption_id}",
    response={200: CaptionOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a caption variant",
)
def update_caption(request: HttpRequest, caption_id: Id, payload: CaptionPatch) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    caption = get_caption(membership, caption_id)
    current = {"network": caption.network, "language": caption.language, "text": caption.text}
    data = _validate(CaptionForm({**current, **payload.dict(exclude_unset=True)}))
    return _caption_out(actions.do_save_caption(membership, caption.item, caption, **data))


@router.delete(
    "/captions/{caption_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a caption variant",
)
def delete_caption(request: HttpRequest, caption_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    actions.do_delete_caption(membership, get_caption(membership, caption_id))
    return Status(204, None)


# --- Items: preview, several at once, CSV import -------------------------------------------


@router.post(
    "/content/{contentitem_id}/preview",
    response={202: ContentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Fetch the item's link preview again (in the worker)",
)
def refresh_preview(request: HttpRequest, contentitem_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    item = get_item(membership, contentitem_id, manage=True)
    if not actions.do_refresh_preview(membership, item):
        raise HttpError(409, "This item has no link to preview.")
    return Status(202, _item_queryset(ContentItem.objects.filter(pk=item.pk)).get())
