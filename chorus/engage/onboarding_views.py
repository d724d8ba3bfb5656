"""Onboarding pages: my checklist (the start page), my teams' progress, and nudges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.engage.actions import ActionRefused, do_nudge
from chorus.engage.onboarding import checklist, checklists
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role, Team
from chorus.program.models import Participation, Workshop


@require_http_methods(["GET"])
@org_view()
def start(request: HttpRequest, membership: Membership) -> HttpResponse:
    """My onboarding checklist, with the next workshops and the resources."""
    participation = Participation.objects.filter(membership=membership).first()
    context = {
        "participation": participation,
        "checklist": checklist(membership),
        "workshops": Workshop.objects.filter(org=membership.org, starts_at__gt=timezone.now())[:3],
    }
    return render(request, "program/start.html", context)


# The team view lists this many people at most; nudging is not limited by it.
TEAM_VIEW_LIMIT = 500


def _managed_members(membership: Membership) -> QuerySet[Membership]:
    """Members whose onboarding this person follows: their teams, or everyone (programme)."""
    members = Membership.objects.active().filter(org=membership.org).select_related("user", "team")
    if not membership.has_role(Role.PROGRAM_MANAGER):
        teams = Team.objects.filter(org=membership.org, manager=membership)
        members = members.filter(team__in=teams)
    return members


@require_http_methods(["GET"])
@org_view(Role.TEAM_MANAGER)
def team_onboarding(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Where each person of my teams stands, and a nudge for the next step."""
    members = list(
        _managed_members(membership).order_by("team__name", "user__last_name", "user__email")[
            :TEAM_VIEW_LIMIT
        ]
    )
    states = checklists(membership.org, members)
    statuses = dict(
        Participation.objects.filter(membership__in=members).values_list("membership_id", "status")
    )
    rows = [
        {
            "member": member,
            "status": statuses.get(member.pk, ""),
            "status_label": Participation.Status(statuses[member.pk]).label
            if member.pk in statuses
            else _("Not invited"),
            "checklist": states.get(member.pk),
            "next": next((step for step in states[member.pk].steps if not step.done), None)
            if member.pk in states
            else None,
        }
        for member in members
    ]
    return render(request, "program/team_onboarding.html", {"rows": rows})


@require_http_methods(["POST"])
@org_view(Role.TEAM_MANAGER)
def nudge(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    member = get_object_or_404(
        Membership.objects.active().select_related("user", "org"),
        org=membership.org,
        pk=membership_id,
    )
    if not _managed_members(membership).filter(pk=member.pk).exists():
        raise PermissionDenied
    try:
        do_nudge(membership, member)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Nudge sent."))
    return redirect("team_onboarding", org=membership.org.slug)
