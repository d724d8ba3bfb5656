"""Pages of the content hub: library, items and captions, campaigns, topics and personas,
sources and curation, suggestions, CSV import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.content import actions
from chorus.content.access import (
    get_campaign,
    get_caption,
    get_entry,
    get_image,
    get_import_job,
    get_item,
    get_persona,
    get_source,
    get_suggestion,
    get_topic,
)
from chorus.content.forms import (
    CampaignForm,
    CaptionCheckForm,
    CaptionForm,
    ContentImageForm,
    ContentItemForm,
    DeclineForm,
    ImageDescriptionForm,
    ImportForm,
    LibraryFilterForm,
    PersonaForm,
    SourceForm,
    SuggestionForm,
    TopicForm,
)
from chorus.content.importing import ImportRefused, check_upload
from chorus.content.library import search_items
from chorus.content.models import (
    Campaign,
    ContentImage,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Persona,
    Source,
    Suggestion,
    Topic,
)
from chorus.integrations import registry
from chorus.lib.ids import parse_id, parse_ids
from chorus.lib.networks import Network
from chorus.lib.text_metrics import check_all, check_caption
from chorus.orgs.access import org_view, require_role
from chorus.orgs.models import Membership, Role

BULK_STATUS = {
    "publish": ContentItem.Status.PUBLISHED,
    "archive": ContentItem.Status.ARCHIVED,
    "draft": ContentItem.Status.DRAFT,
}


def _status(request: HttpRequest) -> int:
    return 400 if request.method == "POST" else 200


# --- Library and items ---


@require_http_methods(["GET", "POST"])
@org_view()
def library(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Search and filter items; program managers act on several at once."""
    if request.method == "POST":
        require_role(membership, Role.PROGRAM_MANAGER)
        return _bulk_action(request, membership)
    filters = LibraryFilterForm(request.GET or None, org=membership.org)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    items = search_items(membership, cleaned)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "querystring": query.urlencode()}
    template = "content/_library_results.html" if request.htmx else "content/library.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _bulk_action(request: HttpRequest, membership: Membership) -> HttpResponse:
    action = request.POST.get("action", "")
    ids = parse_ids(request.POST.getlist("items"))
    items = list(ContentItem.objects.filter(org=membership.org, pk__in=ids))
    if action not in (*BULK_STATUS, "delete") or not items:
        messages.error(request, _("Choose an action and at least one item."))
        return redirect("library", org=membership.org.slug)
    if action == "delete":
        count = actions.do_delete_items(membership, items)
    else:
        count = actions.do_set_items_status(membership, items, BULK_STATUS[action])
    messages.success(request, _("%(count)s item(s) updated.") % {"count": count})
    return redirect("library", org=membership.org.slug)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def item_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ContentItemForm(request.POST or None, request.FILES or None, org=membership.org)
    if request.method == "POST" and form.is_valid():
        data = {field: value for field, value in form.cleaned_data.items() if field != "topics"}
        if not data.get("language"):
            data.pop("language", None)
        item = actions.do_save_item(membership, None, data, topics=form.cleaned_data["topics"])
        messages.success(request, _("The item was created."))
        return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)
    return render(request, "content/item_form.html", {"form": form}, status=_status(request))


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def item_edit(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    item = get_item(membership, contentitem_id, manage=True)
    form = ContentItemForm(
        request.POST or None, request.FILES or None, instance=item, org=membership.org
    )
    if request.method == "POST" and form.is_valid():
        data = {field: value for field, value in form.cleaned_data.items() if field != "topics"}
        # Refresh a fresh instance: ModelForm validation already wrote onto `item`.
        fresh = ContentItem.objects.get(pk=item.pk)
        actions.do_save_item(membership, fresh, data, topics=form.cleaned_data["topics"])
        messages.success(request, _("The item was saved."))
        return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)
    return render(
        request, "content/item_form.html", {"form": form, "item": item}, status=_status(request)
    )


@require_http_methods(["GET"])
@org_view()
def item_detail(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    item = get_item(membership, contentitem_id)
    captions = [
        (caption, check_caption(caption.text, caption.network)) for caption in item.captions.all()
    ]
    context = {
        "item": item,
        "captions": captions,
        "caption_form": CaptionForm(
            initial={"language": item.language or "en", "network": Network.LINKEDIN}
        ),
        "networks": Network.choices,
        "shareable": item.is_live() and not item.internal_only and bool(item.url),
        "new_link": request.session.pop("new_link", None),
        "images": images_of(item),
        "image_form": ContentImageForm(),
    }
    return render(request, "content/item_detail.html", context)


def _refused_context(
    item: ContentItem, caption_form: CaptionForm, image_form: ContentImageForm | None = None
) -> dict[str, Any]:
    """The item's page shown again after a refused caption or image, with its errors."""
    return {
        "item": item,
        "captions": [
            (caption, check_caption(caption.text, caption.network))
            for caption in item.captions.all()
        ],
        "caption_form": caption_form,
        "networks": Network.choices,
        "images": images_of(item),
        "image_form": image_form or ContentImageForm(),
    }


# --- Images posted with an item ---


def images_of(item: ContentItem) -> list[ContentImage]:
    """The item's images in order, each with `alt` in the language of the page."""
    language = translation.get_language() or ""
    images = list(item.images.all())
    for image in images:
        image.alt = image.alt_for(language)  # type: ignore[attr-defined]
    return images


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def image_add(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    """Upload an image to post with the item; a file that is not a usable image is
    refused with the reason, and nothing is saved."""
    item = get_item(membership, contentitem_id, manage=True)
    form = ContentImageForm(request.POST, request.FILES)
    if form.is_valid():
        actions.do_add_image(
            membership,
            item,
            form.cleaned_data["file"],
            alt_en=form.cleaned_data["alt_en"],
            alt_fr=form.cleaned_data["alt_fr"],
        )
        messages.success(request, _("The image was added."))
        return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)
    context = _refused_context(
        item, CaptionForm(initial={"language": item.language or "en"}), image_form=form
    )
    return render(request, "content/item_detail.html", context, status=400)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def image_change(
    request: HttpRequest, membership: Membership, contentimage_id: int
) -> HttpResponse:
    """Describe, move or remove an image (the `action` button that was pressed)."""
    image = get_image(membership, contentimage_id)
    action = request.POST.get("action", "")
    if action in ("up", "down"):
        actions.do_move_image(membership, image, -1 if action == "up" else 1)
    elif action == "delete":
        actions.do_delete_image(membership, image)
        messages.success(request, _("The image was removed."))
    elif action == "describe":
        form = ImageDescriptionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("A description is at most 1,500 characters long."))
        else:
            actions.do_describe_image(membership, image, **form.cleaned_data)
            messages.success(request, _("The description was saved."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect("item_detail", org=membership.org.slug, contentitem_id=image.item_id)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def item_refresh_preview(
    request: HttpRequest, membership: Membership, contentitem_id: int
) -> HttpResponse:
    item = get_item(membership, contentitem_id, manage=True)
    if actions.do_refresh_preview(membership, item):
        messages.success(request, _("The preview is being fetched again."))
    return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)


# --- Captions ---


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def caption_add(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    item = get_item(membership, contentitem_id, manage=True)
    form = CaptionForm(request.POST)
    if form.is_valid():
        actions.do_save_caption(membership, item, None, **form.cleaned_data)
        messages.success(request, _("The caption was added."))
        return redirect("item_detail", org=membership.org.slug, contentitem_id=item.pk)
    return render(request, "content/item_detail.html", _refused_context(item, form), status=400)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def caption_edit(request: HttpRequest, membership: Membership, caption_id: int) -> HttpResponse:
    caption = get_caption(membership, caption_id)
    form = CaptionForm(request.POST or None, instance=caption)
    if request.method == "POST" and form.is_valid():
        actions.do_save_caption(membership, caption.item, caption, **form.cleaned_data)
        messages.success(request, _("The caption was saved."))
        return redirect("item_detail", org=membership.org.slug, contentitem_id=caption.item_id)
    return render(
        request,
        "content/caption_form.html",
        {"form": form, "caption": caption},
        status=_status(request),
    )


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def caption_delete(request: HttpRequest, membership: Membership, caption_id: int) -> HttpResponse:
    caption = get_caption(membership, caption_id)
    actions.do_delete_caption(membership, caption)
    messages.success(request, _("The caption was deleted."))
    return redirect("item_detail", org=membership.org.slug, contentitem_id=caption.item_id)


@require_POST
@org_view()
def caption_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The live counter under a caption box: length per network, by each network's rules."""
    form = CaptionCheckForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    text = form.cleaned_data["text"]
    checks = check_all(text)
    # Each network under its own name ("LinkedIn"), as the registry spells it.
    names = dict(registry.choices())
    rows = [(names.get(network, network), check) for network, check in checks.items()]
    chosen = form.cleaned_data["network"]
    context = {"checks": checks, "rows": rows, "chosen": chosen}
    return render(request, "content/_caption_counter.html", context)


# --- Campaigns, topics, personas ---


@require_http_methods(["GET"])
@org_view(Role.PROGRAM_MANAGER)
def campaigns(request: HttpRequest, membership: Membership) -> HttpResponse:
    rows = Campaign.objects.filter(org=membership.org).annotate(item_count=Count("items"))
    return render(request, "content/campaigns.html", {"campaigns": rows})


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def campaign_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _campaign_form(request, membership, None)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def campaign_edit(request: HttpRequest, membership: Membership, campaign_id: int) -> HttpResponse:
    return _campaign_form(request, membership, get_campaign(membership, campaign_id))


def _campaign_form(
    request: HttpRequest, membership: Membership, campaign: Campaign | None
) -> HttpResponse:
    form = CampaignForm(request.POST or None, instance=campaign, org=membership.org)
    if request.method == "POST" and form.is_valid():
        data = {
            field: form.cleaned_data[field]
            for field in (
                "name",
                "slug",
                "objective",
                "description",
                "starts_on",
                "ends_on",
                "target_networks",
                "cta_url",
                "priority",
                "kpis",
            )
        }
        saved = actions.do_save_campaign(
            membership,
            Campaign.objects.get(pk=campaign.pk) if campaign else None,
            data,
            teams=form.cleaned_data["target_teams"],
            personas=form.cleaned_data["target_personas"],
        )
        messages.success(request, _("The campaign %(name)s was saved.") % {"name": saved.name})
        return redirect("campaigns", org=membership.org.slug)
    items = campaign.items.all()[:50] if campaign else []
    return render(
        request,
        "content/campaign_form.html",
        {"form": form, "campaign": campaign, "items": items},
        status=_status(request),
    )


def _simple_list(
    request: HttpRequest,
    membership: Membership,
    model: Any,
    form_class: Any,
    kind: str,
    template: str,
) -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if model.objects.filter(
            org=membership.org, name__iexact=form.cleaned_data["name"]
        ).exists():
            form.add_error("name", _("This name is already used."))
        else:
            actions.do_save_simple(membership, model(), form.cleaned_data, kind)
            messages.success(request, _("Saved."))
            return redirect(request.path)
    rows = model.objects.filter(org=membership.org).annotate(
        item_count=Count("items" if kind == "topic" else "campaigns")
    )
    return render(request, template, {"form": form, "rows": rows}, status=_status(request))


def _simple_edit(
    request: HttpRequest,
    membership: Membership,
    instance: Any,
    form_class: Any,
    kind: str,
    back: str,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST":
        if request.POST.get("delete"):
            actions.do_delete(membership, instance, kind)
            messages.success(request, _("Deleted."))
            return redirect(back, org=membership.org.slug)
        if form.is_valid():
            fresh = type(instance).objects.get(pk=instance.pk)
            actions.do_save_simple(membership, fresh, form.cleaned_data, kind)
            messages.success(request, _("Saved."))
            return redirect(back, org=membership.org.slug)
    return render(
        request,
        "content/simple_form.html",
        {"form": form, "instance": instance, "back": back},
        status=_status(request),
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def topics(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _simple_list(request, membership, Topic, TopicForm, "topic", "content/topics.html")


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def topic_edit(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    return _simple_edit(
        request, membership, get_topic(membership, topic_id), TopicForm, "topic", "topics"
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def personas(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _simple_list(
        request, membership, Persona, PersonaForm, "persona", "content/personas.html"
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def persona_edit(request: HttpRequest, membership: Membership, persona_id: int) -> HttpResponse:
    return _simple_edit(
        request, membership, get_persona(membership, persona_id), PersonaForm, "persona", "personas"
    )


# --- Sources and curation ---


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def sources(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SourceForm(request.POST or None, org=membership.org)
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if key != "default_topics"}
        actions.do_save_source(membership, None, data, topics=form.cleaned_data["default_topics"])
        messages.success(request, _("The source was added; it will be polled shortly."))
        return redirect("sources", org=membership.org.slug)
    rows = Source.objects.filter(org=membership.org).annotate(
        new_count=Count("entries", filter=Q(entries__status=CuratedEntry.Status.NEW))
    )
    return render(
        request, "content/sources.html", {"form": form, "rows": rows}, status=_status(request)
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def source_edit(request: HttpRequest, membership: Membership, source_id: int) -> HttpResponse:
    source = get_source(membership, source_id)
    form = SourceForm(request.POST or None, instance=source, org=membership.org)
    if request.method == "POST":
        if request.POST.get("delete"):
            actions.do_delete(membership, source, "source")
            messages.success(request, _("Deleted."))
            return redirect("sources", org=membership.org.slug)
        if form.is_valid():
            data = {
                key: value for key, value in form.cleaned_data.items() if key != "default_topics"
            }
            actions.do_save_source(
                membership,
                Source.objects.get(pk=source.pk),
                data,
                topics=form.cleaned_data["default_topics"],
            )
            messages.success(request, _("Saved."))
            return redirect("sources", org=membership.org.slug)
    return render(
        request,
        "content/source_form.html",
        {"form": form, "source": source},
        status=_status(request),
    )


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def source_poll(request: HttpRequest, membership: Membership, source_id: int) -> HttpResponse:
    actions.do_poll_now(membership, get_source(membership, source_id))
    messages.success(request, _("The source will be polled in a moment."))
    return redirect("sources", org=membership.org.slug)


@require_http_methods(["GET"])
@org_view(Role.PROGRAM_MANAGER)
def curation(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The inbox of new entries from the sources, to promote or dismiss."""
    entries = CuratedEntry.objects.filter(org=membership.org).select_related("source")
    status = request.GET.get("status", CuratedEntry.Status.NEW)
    if status in CuratedEntry.Status.values:
        entries = entries.filter(status=status)
    source_id = parse_id(request.GET.get("source"))
    if source_id is not None:
        entries = entries.filter(source_id=source_id)
    page = Paginator(entries.order_by("-published_at", "-id"), 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": CuratedEntry.Status.choices,
        "sources": Source.objects.filter(org=membership.org),
        "source_id": source_id,
    }
    return render(request, "content/curation.html", context)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def entry_promote(
    request: HttpRequest, membership: Membership, curatedentry_id: int
) -> HttpResponse:
    entry = get_entry(membership, curatedentry_id)
    item = actions.do_promote_entry(membership, entry)
    messages.success(
        request, _("A draft item was created from the entry: complete it and publish.")
    )
    return redirect("item_edit", org=membership.org.slug, contentitem_id=item.pk)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def entry_dismiss(
    request: HttpRequest, membership: Membership, curatedentry_id: int
) -> HttpResponse:
    entry = get_entry(membership, curatedentry_id)
    actions.do_dismiss_entry(membership, entry)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")
    return redirect("curation", org=membership.org.slug)


# --- Suggestions ---


@require_http_methods(["GET", "POST"])
@org_view()
def suggestions(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Anyone suggests content; program managers see and decide every suggestion."""
    form = SuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_suggest(membership, **form.cleaned_data)
        messages.success(request, _("Thank you! The programme team will look at your suggestion."))
        return redirect("suggestions", org=membership.org.slug)
    mine = Suggestion.objects.filter(org=membership.org, suggested_by=membership)
    pending = None
    if membership.can_manage_programme:
        pending = Suggestion.objects.filter(
            org=membership.org, status=Suggestion.Status.PENDING
        ).select_related("suggested_by__user")
    context = {"form": form, "mine": mine, "pending": pending, "decline_form": DeclineForm()}
    return render(request, "content/suggestions.html", context, status=_status(request))


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def suggestion_accept(
    request: HttpRequest, membership: Membership, suggestion_id: int
) -> HttpResponse:
    suggestion = get_suggestion(membership, suggestion_id, manage=True)
    try:
        item = actions.do_accept_suggestion(membership, suggestion)
    except ValueError:
        messages.error(request, _("This suggestion was already decided."))
        return redirect("suggestions", org=membership.org.slug)
    messages.success(request, _("Accepted: a draft item credited to the suggester was created."))
    return redirect("item_edit", org=membership.org.slug, contentitem_id=item.pk)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def suggestion_decline(
    request: HttpRequest, membership: Membership, suggestion_id: int
) -> HttpResponse:
    suggestion = get_suggestion(membership, suggestion_id, manage=True)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why, so the person understands."))
        return redirect("suggestions", org=membership.org.slug)
    try:
        actions.do_decline_suggestion(membership, suggestion, form.cleaned_data["reason"])
    except ValueError:
        messages.error(request, _("This suggestion was already decided."))
    else:
        messages.success(request, _("Declined; the person will see your reason."))
    return redirect("suggestions", org=membership.org.slug)


# --- Import ---


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def item_import(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Upload a CSV file: checked here (a bad file changes nothing), imported by the worker."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            checked = check_upload(upload)
        except ImportRefused as refusal:
            form.add_error("file", refusal.message)
        else:
            job = actions.do_start_import(
                membership, upload.name or "", checked.rows, checked.left_out
            )
            return redirect("import_job", org=membership.org.slug, importjob_id=job.pk)
    context = {"form": form, "jobs": ImportJob.objects.filter(org=membership.org)[:10]}
    status = 400 if request.method == "POST" else 200
    return render(request, "content/import.html", context, status=status)


@require_http_methods(["GET"])
@org_view(Role.PROGRAM_MANAGER)
def import_job(request: HttpRequest, membership: Membership, importjob_id: int) -> HttpResponse:
    """An import's progress (polled by htmx while it runs), then what it created and refused."""
    job = get_import_job(membership, importjob_id)
    template = "content/_import_job.html" if request.htmx else "content/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})
