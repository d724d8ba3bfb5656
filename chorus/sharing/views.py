"""Sharing pages: my networks, the composer, my queue."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chorus.orgs.access import org_view
from chorus.orgs.models import Membership
from chorus.sharing.models import Connection, Share


@require_http_methods(["GET"])
@org_view()
def connections(request: HttpRequest, membership: Membership) -> HttpResponse:
    found = Connection.objects.filter(membership=membership).exclude(
        status=Connection.Status.REVOKED
    )
    return render(request, "sharing/connections.html", {"connections": found})


@require_http_methods(["GET"])
@org_view()
def queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    shares = Share.objects.filter(membership=membership).select_related("item")[:100]
    return render(request, "sharing/queue.html", {"shares": shares})
