"""Pages for an organisation: home, members and roles, teams, audit log, switching."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.orgs import actions, invitations
from chorus.orgs.access import (
    get_member,
    get_team,
    may_manage_invitation,
    org_view,
    require_role,
)
from chorus.orgs.forms import AddMemberForm, ChangeMemberForm, TeamForm
from chorus.orgs.models import AuditEntry, Invitation, Membership, Role, Team

# Pending invitations listed on the members page, newest first.
PENDING_SHOWN = 100


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    """List members (program managers and admins); admins add people here."""
    form = AddMemberForm(request.POST or None, org=membership.org)
    if request.method == "POST":
        require_role(membership, Role.ORG_ADMIN)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation, _url = invitations.do_invite_member(
                    membership,
                    data["email"],
                    data["role"],
                    data["team"],
                    request=request,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("%(email)s was added and received an invitation by e-mail.")
                    % {"email": invitation.email},
                )
                return redirect("members", org=membership.org.slug)
    query = request.GET.get("q", "").strip()
    people = (
        Membership.objects.filter(org=membership.org)
        .select_related("user", "team")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    if query:
        people = people.filter(
            Q(user__email__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(team__name__icontains=query)
        )
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    context: dict[str, object] = {
        "form": form,
        "page": page,
        "query": query,
        "invitation_days": settings.CHORUS_INVITATION_DAYS,
    }
    template = "orgs/_member_rows.html" if request.htmx else "orgs/members.html"  # type: ignore[attr-defined]
    if not request.htmx:  # type: ignore[attr-defined]
        pending = (
            Invitation.objects.pending()
            .filter(org=membership.org, membership__isnull=False)
            .select_related("invited_by__user", "team")[:PENDING_SHOWN]
        )
        context["invitations"] = [
            (invitation, may_manage_invitation(membership, invitation)) for invitation in pending
        ]
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def member_detail(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    """Show a member; admins change their role, team, or active state."""
    member = get_member(membership, membership_id, manage=request.method == "POST")
    initial = {"role": member.role, "team": member.team, "is_active": member.is_active}
    form = ChangeMemberForm(request.POST or None, org=membership.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_member(
                membership,
                member,
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The member was updated."))
            return redirect("member_detail", org=membership.org.slug, membership_id=member.pk)
    history = AuditEntry.objects.filter(
        org=membership.org, target_type="membership", target_id=str(member.pk)
    ).select_related("actor")[:20]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orgs/member_detail.html",
        {"member": member, "form": form, "history": history},
        status=status,
    )


@require_POST
@org_view(Role.ORG_ADMIN)
def member_remove(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    member = get_member(membership, membership_id, manage=True)
    try:
        actions.do_remove_member(membership, member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("member_detail", org=membership.org.slug, membership_id=member.pk)
    messages.success(request, _("%(email)s was removed.") % {"email": member.user.email})
    return redirect("members", org=membership.org.slug)


@require_http_methods(["GET", "POST"])
@org_view(Role.TEAM_MANAGER)
def teams(request: HttpRequest, membership: Membership) -> HttpResponse:
    """List teams; program managers and admins create them here."""
    form = TeamForm(request.POST or None, org=membership.org)
    if request.method == "POST":
        require_role(membership, Role.PROGRAM_MANAGER)
        if form.is_valid():
            team = actions.do_save_team(
                membership,
                None,
                name=form.cleaned_data["name"],
                manager=form.cleaned_data["manager"],
            )
            messages.success(request, _("The team %(name)s was created.") % {"name": team.name})
            return redirect("teams", org=membership.org.slug)
    all_teams = Team.objects.filter(org=membership.org).select_related("manager__user")
    if not membership.can_manage_programme:
        all_teams = all_teams.filter(manager=membership)
    all_teams = all_teams.annotate(size=Count("members"))
    status = 400 if request.method == "POST" else 200
    return render(request, "orgs/teams.html", {"teams": all_teams, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@org_view(Role.TEAM_MANAGER)
def team_detail(request: HttpRequest, membership: Membership, team_id: int) -> HttpResponse:
    """A team and its members; program managers and admins rename it or change its manager."""
    team = get_team(membership, team_id, manage=request.method == "POST")
    initial = {"name": team.name, "manager": team.manager}
    form = TeamForm(request.POST or None, org=membership.org, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_save_team(
            membership, team, name=form.cleaned_data["name"], manager=form.cleaned_data["manager"]
        )
        messages.success(request, _("The team was saved."))
        return redirect("team_detail", org=membership.org.slug, team_id=team.pk)
    people = team.members.select_related("user").order_by("user__last_name", "user__email")  # type: ignore[attr-defined]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orgs/team_detail.html",
        {"team": team, "form": form, "people": people},
        status=status,
    )


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def team_delete(request: HttpRequest, membership: Membership, team_id: int) -> HttpResponse:
    team = get_team(membership, team_id, manage=True)
    actions.do_delete_team(membership, team)
    messages.success(request, _("The team %(name)s was deleted.") % {"name": team.name})
    return redirect("teams", org=membership.org.slug)


@require_http_methods(["GET"])
@org_view(Role.ORG_ADMIN)
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Who changed what in the organisation, newest first."""
    entries = AuditEntry.objects.filter(org=membership.org).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "orgs/audit.html", {"page": page})


@require_http_methods(["GET"])
@org_view(Role.PROGRAM_MANAGER)
def settings_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's settings: one link per settings page."""
    return render(request, "orgs/settings.html")
