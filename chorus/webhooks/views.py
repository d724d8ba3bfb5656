"""The organisation's webhook pages, under its settings (org admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.webhooks.access import get_endpoint, get_message
from chorus.webhooks.actions import (
    do_change_endpoint,
    do_create_endpoint,
    do_delete_endpoint,
    do_replay,
)
from chorus.webhooks.events import EVENT_TYPES
from chorus.webhooks.forms import EndpointForm
from chorus.webhooks.models import Endpoint, Message

MESSAGES_PER_PAGE = 25


@never_cache
@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def webhooks(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The endpoints, and a form to register one; its secret is shown once, right after."""
    form = EndpointForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "event_types": EVENT_TYPES}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            endpoint, secret = do_create_endpoint(membership, **form.cleaned_data)
            context["created"], context["secret"] = endpoint, secret
            context["form"] = EndpointForm()
            status = 200
        else:
            status = 400
    context["endpoints"] = Endpoint.objects.filter(org=membership.org)
    return render(request, "webhooks/settings.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def webhook_detail(request: HttpRequest, membership: Membership, endpoint_id: int) -> HttpResponse:
    """One endpoint: its settings and its messages with every attempt, each replayable."""
    endpoint = get_endpoint(membership, endpoint_id)
    initial = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if do_change_endpoint(membership, endpoint, form.cleaned_data):
            messages.success(request, _("The endpoint was saved."))
        return redirect("webhook_detail", org=membership.org.slug, endpoint_id=endpoint.pk)
    page = Paginator(
        Message.objects.filter(endpoint=endpoint).prefetch_related("delivery_attempts"),
        MESSAGES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context = {"endpoint": endpoint, "form": form, "page": page}
    return render(
        request, "webhooks/endpoint.html", context, status=400 if request.method == "POST" else 200
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def webhook_toggle(request: HttpRequest, membership: Membership, endpoint_id: int) -> HttpResponse:
    """Disable the endpoint, or enable it again."""
    endpoint = get_endpoint(membership, endpoint_id)
    do_change_endpoint(membership, endpoint, {"is_active": not endpoint.is_active})
    return redirect("webhook_detail", org=membership.org.slug, endpoint_id=endpoint.pk)


@require_POST
@org_view(Role.ORG_ADMIN)
def webhook_delete(request: HttpRequest, membership: Membership, endpoint_id: int) -> HttpResponse:
    endpoint = get_endpoint(membership, endpoint_id)
    do_delete_endpoint(membership, endpoint)
    messages.success(request, _("The endpoint was deleted."))
    return redirect("webhooks", org=membership.org.slug)


@require_POST
@org_view(Role.ORG_ADMIN)
def webhook_replay(
    request: HttpRequest, membership: Membership, endpoint_id: int, message_id: int
) -> HttpResponse:
    """Queue a message again; the worker sends it within a minute."""
    endpoint = get_endpoint(membership, endpoint_id)
    do_replay(membership, get_message(membership, endpoint, message_id))
    messages.success(request, _("The message will be sent again within a minute."))
    return redirect("webhook_detail", org=membership.org.slug, endpoint_id=endpoint.pk)
