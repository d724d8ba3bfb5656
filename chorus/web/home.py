"""The start pages: the site's home (to the organisation used last), the list of the person's
organisations, and an organisation's home page, which shows what every app has for the
person's role, so it lives in the top layer (docs/architecture.md). Templates: `orgs/`."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from chorus.accounts.models import User
from chorus.orgs.access import org_view
from chorus.orgs.models import AuditEntry, Membership, Role
from chorus.program.models import Participation


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the person to the organisation they used last, or to the list of theirs."""
    memberships = (
        Membership.objects.active().filter(user=cast(User, request.user)).select_related("org")
    )
    latest = memberships.order_by(F("last_used_at").desc(nulls_last=True), "joined_at").first()
    if latest is None:
        return render(request, "orgs/no_organisation.html")
    return redirect("org_home", org=latest.org.slug)


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """The organisations the person belongs to, to switch between them."""
    memberships = (
        Membership.objects.active()
        .filter(user=cast(User, request.user))
        .select_related("org")
        .order_by("org__name")
    )
    return render(request, "orgs/organisations.html", {"memberships": memberships})


@require_http_methods(["GET"])
@org_view()
def org_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's start page, with what matters for the person's role."""
    Membership.objects.filter(pk=membership.pk).update(last_used_at=timezone.now())
    org = membership.org
    context: dict[str, object] = {}
    if membership.can_manage_programme:
        counts = (
            Membership.objects.active()
            .filter(org=org)
            .aggregate(
                total=Count("id"),
                ambassadors=Count("id", filter=Q(role=Role.AMBASSADOR)),
                managers=Count("id", filter=Q(role=Role.TEAM_MANAGER)),
            )
        )
        context["counts"] = counts
        context["team_count"] = org.teams.count()  # type: ignore[attr-defined]
    if membership.role == Role.TEAM_MANAGER:
        context["my_teams"] = membership.managed_teams.annotate(size=Count("members"))  # type: ignore[attr-defined]
    if membership.team_id:
        context["teammates"] = (
            Membership.objects.active()
            .filter(team_id=membership.team_id)
            .exclude(pk=membership.pk)
            .select_related("user")[:12]
        )
    if membership.is_org_admin:
        context["recent_audit"] = AuditEntry.objects.filter(org=org)[:5]
    context["participation"] = Participation.objects.filter(membership=membership).first()
    return render(request, "orgs/home.html", context)
