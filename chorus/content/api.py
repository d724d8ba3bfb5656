"""API of the content hub: topics, campaigns, content items and captions, sources,
curation, suggestions. Input is validated by the same forms as the pages."""

from datetime import date, datetime
from typing import Any

from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

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
)
from chorus.content import actions
from chorus.content.access import get_item, get_suggestion
from chorus.content.forms import (
    CampaignForm,
    CaptionForm,
    ContentItemForm,
    SourceForm,
    SuggestionForm,
    TopicForm,
)
from chorus.content.library import search_items
from chorus.content.models import (
    Campaign,
    Caption,
    ContentItem,
    CuratedEntry,
    Source,
    Suggestion,
    Topic,
)
from chorus.lib.text_metrics import check_caption
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
