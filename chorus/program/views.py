"""Programme pages: cohorts and invitations (program managers); joining, declining and
leaving (everyone)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.orgs.access import org_view
from chorus.orgs.consent import consent_paragraphs
from chorus.orgs.models import Membership, Role
from chorus.program import actions
from chorus.program.forms import CohortForm, InviteForm, LeaveForm
from chorus.program.models import Cohort, Participation


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Cohorts, the opt-in funnel, and inviting people (by list, team or CSV)."""
    org = membership.org
    invite_form = InviteForm(
        request.POST if request.POST.get("form") == "invite" else None,
        request.FILES or None,
        org=org,
    )
    cohort_form = CohortForm(request.POST if request.POST.get("form") == "cohort" else None)
    status = 200
    if request.method == "POST":
        if invite_form.is_bound and invite_form.is_valid():
            report = actions.do_invite(
                membership,
                invite_form.cleaned_data["addresses"],
                invite_form.cleaned_data["cohort"],
                request=request,
            )
            messages.success(
                request,
                _("%(invited)s invited, %(already)s already in the programme, %(errors)s refused.")
                % {
                    "invited": len(report.invited),
                    "already": len(report.already_in),
                    "errors": len(report.errors),
                },
            )
            for email, reason in report.errors:
                messages.error(request, f"{email}: {reason}")
            return redirect("programme", org=org.slug)
        if cohort_form.is_bound and cohort_form.is_valid():
            try:
                actions.do_create_cohort(membership, cohort_form.save(commit=False))
            except ValidationError as error:
                cohort_form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("programme", org=org.slug)
        status = 400
    cohorts = Cohort.objects.filter(org=org).annotate(
        invited=Count("participations"),
        active=Count(
            "participations", filter=Q(participations__status=Participation.Status.ACTIVE)
        ),
    )
    funnel = Participation.objects.filter(org=org).aggregate(
        invited=Count("id"),
        active=Count("id", filter=Q(status=Participation.Status.ACTIVE)),
        declined=Count("id", filter=Q(status=Participation.Status.DECLINED)),
        left=Count("id", filter=Q(status=Participation.Status.LEFT)),
    )
    people = (
        Participation.objects.filter(org=org)
        .select_related("membership__user", "cohort")
        .order_by("status", "membership__user__last_name")[:200]
    )
    context = {
        "invite_form": invite_form,
        "cohort_form": cohort_form,
        "cohorts": cohorts,
        "funnel": funnel,
        "people": people,
    }
    return render(request, "program/overview.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_view()
def join(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The invitation: what the programme is, what is asked, what data is used; join or not."""
    participation = Participation.objects.filter(membership=membership).first()
    if request.method == "POST" and participation is not None:
        choice = request.POST.get("choice")
        if participation.status == Participation.Status.INVITED and choice == "join":
            if request.POST.get("consent") != "yes":
                messages.error(request, _("Tick the box to confirm you agree."))
            else:
                actions.do_opt_in(membership)
                messages.success(request, _("Welcome to the programme!"))
                return redirect("org_home", org=membership.org.slug)
        elif participation.status == Participation.Status.INVITED and choice == "decline":
            actions.do_decline(membership)
            messages.success(request, _("No problem: you will not receive suggestions."))
            return redirect("org_home", org=membership.org.slug)
    context = {"participation": participation, "paragraphs": consent_paragraphs(membership.org)}
    return render(
        request, "program/join.html", context, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@org_view()
def leave(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Leave the programme at once, choosing what happens to past shares."""
    participation = Participation.objects.filter(membership=membership).first()
    form = LeaveForm(request.POST or None)
    if participation is None or not participation.is_active:
        return redirect("programme_join", org=membership.org.slug)
    if request.method == "POST" and form.is_valid():
        actions.do_leave(membership, anonymise=form.cleaned_data["attribution"] == "anonymise")
        messages.success(
            request, _("You left the programme. You can come back when invited again.")
        )
        return redirect("org_home", org=membership.org.slug)
    return render(
        request,
        "program/leave.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
