"""Sharing pages: my networks (connect, disconnect), the composer with its live
originality check, share intents, and my queue."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.content.access import get_item
from chorus.content.models import Caption, ContentItem
from chorus.governance.rules import disclosure_for, judge, with_disclosure
from chorus.integrations import oauth, registry
from chorus.integrations.base import PublishError
from chorus.integrations.capabilities import Connected, Consent
from chorus.links.actions import LinkError, link_for, short_url
from chorus.orgs.access import get_membership, org_view
from chorus.orgs.models import Membership, Role
from chorus.program.models import is_participant
from chorus.sharing import actions, variants
from chorus.sharing.forms import ComposeForm, ConfirmForm, SharingPolicyForm
from chorus.sharing.models import Connection, Share
from chorus.sharing.publishing import text_to_post
from chorus.sharing.scheduling import org_zone, policy_of

logger = logging.getLogger(__name__)
SESSION_KEY = "chorus_oauth"


# --- Connections --------------------------------------------------------------------------


def _panels(membership: Membership, bound: tuple[str, forms.Form] | None = None) -> list[Any]:
    """One panel a network the person can connect here, with its form (bound after a
    refused attempt, so the page shows what went wrong)."""
    panels = []
    for integration in registry.connectable():
        flow = integration.connect
        assert flow is not None  # connectable() returns networks with a flow
        form = None
        if bound is not None and bound[0] == integration.key:
            form = bound[1]
        elif flow.form_class is not None:
            form = flow.form_class()
        panels.append(
            {
                "key": integration.key,
                "label": integration.label,
                "form": form,
                "url_name": f"connect_{integration.key}",
            }
        )
    return panels


def _connections_page(
    request: HttpRequest,
    membership: Membership,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    found = Connection.objects.filter(membership=membership).exclude(
        status=Connection.Status.REVOKED
    )
    context = {
        "connections": found,
        "participant": is_participant(membership),
        "connect_panels": _panels(membership, bound),
        # Networks Chorus supports that this server has no app credentials for: said, not hidden.
        "not_offered": [
            integration.label
            for integration in registry.with_connect_flow()
            if integration.connect is not None and not integration.connect.enabled()
        ],
        "soon": timezone.now() + timedelta(days=7),
    }
    return render(request, "sharing/connections.html", context, status=status)


@require_http_methods(["GET"])
@org_view()
def connections(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _connections_page(request, membership)


def _refuse_outsiders(request: HttpRequest, membership: Membership) -> bool:
    if is_participant(membership):
        return False
    messages.error(request, _("Join the ambassador programme to connect a network."))
    return True


def _callback_uri(request: HttpRequest, network: str) -> str:
    return request.build_absolute_uri(reverse(f"connection_callback_{network}"))


def _remember(request: HttpRequest, state: str, data: dict[str, str]) -> None:
    pending = request.session.get(SESSION_KEY, {})
    # Keep only a few pending flows per session.
    pending = dict(list(pending.items())[-4:])
    pending[state] = data
    request.session[SESSION_KEY] = pending


def _connected(request: HttpRequest, membership: Membership, network: str, step: Connected) -> None:
    actions.do_connect(membership, network, step.account, step.credentials)
    label = registry.get(network).label
    messages.success(request, _("%(network)s is connected.") % {"network": label})


@require_http_methods(["POST"])
@org_view()
def connect(request: HttpRequest, membership: Membership, network: str) -> HttpResponse:
    """Start connecting a network: check what the person gave, then connect at once (an
    app password) or send them to the network's consent page (OAuth)."""
    integration = registry.find(network)
    flow = integration.connect if integration is not None else None
    if integration is None or flow is None or not flow.enabled():
        raise Http404
    target = redirect("connections", org=membership.org.slug)
    if _refuse_outsiders(request, membership):
        return target
    form = flow.form_class(request.POST) if flow.form_class is not None else None
    if form is not None and not form.is_valid():
        invalid = flow.invalid()
        if invalid is None:
            return _connections_page(request, membership, (network, form), status=400)
        messages.error(request, invalid)
        return target
    state = oauth.new_state()
    redirect_uri = _callback_uri(request, network) if flow.sends_back else ""
    try:
        step = flow.start(
            form.cleaned_data if form is not None else {},
            redirect_uri,
            state,
            actions.ServerApps(),
        )
    except PublishError as error:
        if flow.refusal_on_form and form is not None:
            form.add_error(None, flow.refused_at_start(error.message))
            return _connections_page(request, membership, (network, form), status=400)
        messages.error(request, flow.refused_at_start(error.message))
        return target
    if isinstance(step, Consent):
        _remember(request, state, {"org": membership.org.slug, "network": network, **step.pending})
        return _continue(request, str(integration.label), step.target)
    _connected(request, membership, network, step)
    return target


def _continue(request: HttpRequest, network: str, target: str) -> HttpResponse:
    """A page with a link to the network's consent page. (A redirect would be blocked:
    the CSP lets forms submit to this site only, redirects included.)"""
    return render(request, "sharing/continue.html", {"network": network, "target": target})


@login_required
@require_http_methods(["GET"])
def connection_callback(request: HttpRequest, network: str) -> HttpResponse:
    """Where the network sends the person back with a code (one address per network, as
    registered with the network; the organisation travels in the session)."""
    state = request.GET.get("state", "")
    pending = request.session.get(SESSION_KEY, {})
    data = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    if data is None or data.get("network") != network:
        raise Http404
    integration = registry.find(network)
    flow = integration.connect if integration is not None else None
    if flow is None or not flow.sends_back:
        raise Http404
    membership = get_membership(request.user, data["org"])
    target = redirect("connections", org=membership.org.slug)
    code = request.GET.get("code", "")
    if not code:
        messages.error(request, _("The connection was not allowed."))
        return target
    try:
        step = flow.finish(data, code, _callback_uri(request, network), actions.ServerApps())
    except PublishError as error:
        messages.error(request, flow.refused(error.message))
        return target
    _connected(request, membership, network, step)
    return target


@require_http_methods(["POST"])
@org_view()
def disconnect(request: HttpRequest, membership: Membership, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(
        Connection.objects.exclude(status=Connection.Status.REVOKED),
        membership=membership,
        pk=connection_id,
    )
    actions.do_disconnect(membership, connection)
    messages.success(request, _("Disconnected."))
    return redirect("connections", org=membership.org.slug)


# --- Composer -----------------------------------------------------------------------------


def _check_context(
    membership: Membership, item: ContentItem, network: str, text: str, link_url: str
) -> dict[str, Any]:
    from chorus.sharing.share_check import run

    # Counted and previewed as it will go out: with the tracked link, added if it was removed.
    text = actions.compose_text(text, link_url, (item.url, item.canonical_url))
    result = run(item, network, text, membership, (link_url,) if link_url else ())
    policy = policy_of(membership.org_id)
    integration = registry.find(network)
    verdict = judge(
        membership, item, network, text, shares_so_far=lambda: actions.shares_so_far(membership)
    )
    return {
        # Governance (chorus.governance): what would refuse the text or hold it for review,
        # the same verdict do_compose applies.
        "governance": verdict,
        "check": result,
        "own_percent": round(result.originality * 100),
        "identical_percent": round(result.identical_share * 100),
        "policy": policy,
        # The same test as the one sharing applies (do_compose), so the panel never
        # says "fine" to a text that will be refused.
        "needs_more_words": policy.wants_more_own_words(result.originality),
        "text": text,
        # The preview shows the tracked link once, as the card the network draws for it.
        "preview_text": _without_link(text, link_url),
        "link_url": link_url,
        "item": item,
        "network_label": integration.label if integration is not None else "",
    }


def _turn(value: str) -> int:
    """Which of the variants "Show me another" asked for (0: the one offered first)."""
    return int(value) % 1000 if value.isdigit() else 0


def _without_link(text: str, link_url: str) -> str:
    """The text as the post's body above its link card: the tracked link at its end goes."""
    body = text.rstrip()
    if link_url and body.endswith(link_url):
        body = body[: -len(link_url)].rstrip()
    return body


def _postable(
    images: list[Any], integration: Any, item: ContentItem, membership: Membership, api: bool
) -> list[Any]:
    """The images Chorus can post here now: described, and no more than the network takes."""
    limits = integration.media
    if not api or limits is None:
        return []
    language = actions.share_language(item, membership)
    return [image for image in images if image.alt_for(language)][: limits.max_images]


def _media_context(
    form: ComposeForm,
    images: list[Any],
    integration: Any,
    item: ContentItem,
    membership: Membership,
    api: bool,
) -> dict[str, Any]:
    """What the composer's image chooser (sharing/_media.html) shows."""
    language = actions.share_language(item, membership)
    if form.is_bound:
        chosen = {str(value) for value in form.data.getlist("images")}  # type: ignore[attr-defined]
    else:
        chosen = {str(pk) for pk in form.initial.get("images", [])}
    return {
        "images": [
            {
                "image": image,
                "alt": image.alt_for(language),
                "chosen": str(image.pk) in chosen,
            }
            for image in images
        ],
        "posts_images": api and integration.posts_images,
        "limits": integration.media,
        "network_label": integration.label,
    }


@require_http_methods(["GET", "POST"])
@org_view()
def compose(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    item = get_item(membership, contentitem_id)
    participant = is_participant(membership)
    network = request.POST.get("network") or request.GET.get("network") or ""
    connected = {
        connection.network: connection
        for connection in Connection.objects.filter(
            membership=membership, status=Connection.Status.ACTIVE
        )
    }
    if registry.find(network) is None:
        network = next(iter(connected), registry.default())
    language = translation.get_language() or membership.org.default_language
    turn = _turn(request.GET.get("another", ""))
    caption, variant_count = variants.offer(membership, item, network, language, turn)
    posted_caption = request.POST.get("caption", "")
    if posted_caption.isdigit():
        # The variant the page offered, not a new pick made after colleagues shared.
        caption = Caption.objects.filter(item=item, pk=int(posted_caption)).first() or caption
    link_url = ""
    if participant and item.url:
        try:
            link = link_for(membership, registry.get(network).link_network, item=item)
            link_url = short_url(link, request)
        except LinkError:
            link_url = ""
    initial_text = actions.compose_text(
        caption.text if caption else item.title, link_url, (item.url, item.canonical_url)
    )
    # The organisation's disclosure, added for the person: they may move it, not remove it.
    initial_text = with_disclosure(initial_text, disclosure_for(membership, network))
    data: QueryDict | None = request.POST or None
    offered = request.POST.get("schedule_at", "")
    if data is not None and offered:
        # "Schedule it then": the next allowed moment the page offered after a refusal.
        data = data.copy()
        data["when"], data["at"] = "at", offered
    integration = registry.get(network)
    api = network in connected and integration.publishes
    item_images = list(item.images.all())
    # Offered ticked: the images the network takes from Chorus, described, up to its limit.
    ticked = [image.pk for image in _postable(item_images, integration, item, membership, api)]
    form = ComposeForm(
        data,
        initial={"network": network, "text": initial_text, "when": "now", "images": ticked},
    )
    form.fields["images"].queryset = item.images.all()  # type: ignore[attr-defined]
    next_allowed = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                share = actions.do_compose(
                    membership,
                    item,
                    form.cleaned_data["network"],
                    form.cleaned_data["text"],
                    when=form.cleaned_data["when"],
                    at=form.cleaned_data.get("at"),
                    caption=caption,
                    images=list(form.cleaned_data["images"]),
                    request=request,
                )
            except actions.ShareRefused as refusal:
                form.add_error(None, str(refusal))
                next_allowed = refusal.next_allowed
            else:
                if share.status == Share.Status.REVIEW:
                    messages.success(
                        request,
                        _("Sent for review: you will be told when a reviewer has decided."),
                    )
                    return redirect("share_queue", org=membership.org.slug)
                if share.method == Share.Method.INTENT:
                    return redirect("share_intent", org=membership.org.slug, share_id=share.pk)
                if share.scheduled_for and share.scheduled_for > timezone.now():
                    messages.success(request, _("Scheduled. You can still change or cancel it."))
                else:
                    messages.success(request, _("On its way: it is being published."))
                return redirect("share_queue", org=membership.org.slug)
        status = 400
    text = form.data.get("text", initial_text) if form.is_bound else initial_text
    context = {
        "item": item,
        "form": form,
        "network": network,
        "caption": caption,
        "variant_count": variant_count,
        "suggested_text": initial_text if caption else "",
        "next_turn": turn + 1,
        "participant": participant,
        "connected": api,
        "link_url": link_url,
        "media": _media_context(form, item_images, integration, item, membership, api),
        "next_allowed": next_allowed,
        "org_zone": org_zone(membership.org),
        "angles": [
            line.strip("-• ").strip() for line in item.talking_points.splitlines() if line.strip()
        ],
        **_check_context(membership, item, network, text, link_url),
    }
    return render(request, "sharing/compose.html", context, status=status)


@require_http_methods(["POST"])
@org_view()
def compose_check(
    request: HttpRequest, membership: Membership, contentitem_id: int
) -> HttpResponse:
    """The live originality panel (htmx), as the person types."""
    item = get_item(membership, contentitem_id)
    network = request.POST.get("network", registry.default())
    text = request.POST.get("text", "")[:5000]
    link_url = request.POST.get("link_url", "")[:300]
    context = _check_context(membership, item, network, text, link_url)
    return render(request, "sharing/_check.html", context)


@require_http_methods(["GET", "POST"])
@org_view()
def intent(request: HttpRequest, membership: Membership, share_id: int) -> HttpResponse:
    share = get_object_or_404(
        Share.objects.select_related("item", "link"), membership=membership, pk=share_id
    )
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_confirm_intent(membership, share, form.cleaned_data["post_url"])
        except actions.ShareRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Thank you! Your share counts."))
        return redirect("share_queue", org=membership.org.slug)

    link_url = short_url(share.link, request) if share.link is not None else share.item.url
    integration = registry.get(share.network)
    # The person's own server where the network has several (Mastodon's share page).
    connection = Connection.objects.filter(membership=membership, network=share.network).first()
    text = text_to_post(share)
    context = {
        "share": share,
        "text": text,
        "form": form,
        "open_url": integration.intent(
            text, link_url, connection.credentials if connection else {}
        ),
        "url_only": integration.url_only,
    }
    return render(request, "sharing/intent.html", context, status=400 if form.errors else 200)


# --- Queue --------------------------------------------------------------------------------


@require_http_methods(["GET"])
@org_view()
def queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    shares = Share.objects.filter(membership=membership).select_related("item")
    upcoming = shares.filter(
        status__in=[Share.Status.SCHEDULED, Share.Status.PUBLISHING, Share.Status.REVIEW]
    ).order_by("scheduled_for", "id")
    attention = shares.filter(
        status__in=[Share.Status.FAILED, Share.Status.CHECK, Share.Status.DRAFT]
    ).order_by("-updated_at")
    done = list(
        shares.filter(status=Share.Status.PUBLISHED)
        .prefetch_related("images")
        .order_by("-published_at")[:30]
    )
    for share in done:
        language = actions.share_language(share.item, membership)
        share.posted_images = [  # type: ignore[attr-defined]
            (image, image.alt_for(language)) for image in share.images.all()
        ]
    from chorus.sharing.notices import advice

    context = {
        "upcoming": list(upcoming),
        "attention": [
            (share, advice(share.error_code) if share.error_code else "") for share in attention
        ],
        "done": done,
    }
    return render(request, "sharing/queue.html", context)


@require_http_methods(["POST"])
@org_view()
def share_action(request: HttpRequest, membership: Membership, share_id: int) -> HttpResponse:
    share = get_object_or_404(Share, membership=membership, pk=share_id)
    action = request.POST.get("action", "")
    try:
        if action == "cancel":
            actions.do_cancel(membership, share)
            messages.success(request, _("Cancelled."))
        elif action in ("up", "down"):
            actions.do_swap(membership, share, -1 if action == "up" else 1)
        elif action == "edit":
            actions.do_edit(membership, share, request.POST.get("text", "")[:5000], request=request)
            messages.success(request, _("Saved."))
        elif action == "published":
            actions.do_resolve_check(membership, share, published=True)
            messages.success(request, _("Thank you! Your share counts."))
        elif action == "not-published":
            actions.do_resolve_check(membership, share, published=False)
            messages.success(request, _("Scheduled again."))
        else:
            messages.error(request, _("Unknown action."))
    except actions.ShareRefused as refusal:
        messages.error(request, str(refusal))
    except IntegrityError:  # pragma: no cover - concurrent edits
        messages.error(request, _("Try again."))
    return redirect("share_queue", org=membership.org.slug)


# --- The organisation's sharing policy -----------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def policy_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Own words, cadence, quiet hours and spreading: the rules every share keeps."""
    policy = policy_of(membership.org_id)
    form = SharingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in SharingPolicyForm.Meta.fields}
            actions.do_change_policy(membership, values)
            messages.success(request, _("Saved."))
            return redirect("sharing_policy", org=membership.org.slug)
        status = 400
    else:
        status = 200
    context = {"form": form, "time_zone": str(org_zone(membership.org))}
    return render(request, "sharing/policy.html", context, status=status)
