"""My results, a team's results, coaching notes and workshop follow-ups."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from chorus.coaching import actions
from chorus.coaching.forms import FollowUpForm, NoteForm, ReplyForm
from chorus.coaching.models import CoachingNote, CoachingReply
from chorus.coaching.results import PERIOD_WEEKS, Period, personal_results, team_results
from chorus.coaching.suggestions import suggestions
from chorus.engage.onboarding import checklists
from chorus.lib.ids import parse_id
from chorus.orgs.access import get_team, org_view
from chorus.orgs.models import Membership, Role
from chorus.program.models import Participation, Workshop, WorkshopSignup
from chorus.sharing.models import Share

# Notes listed on a page; older ones stay reachable from their notification.
NOTES_LISTED = 30
SHARES_LISTED = 50


def get_note(membership: Membership, note_id: int) -> CoachingNote:
    """A note of the member's organisation that they wrote or that is about them, or 404.

    Anyone else, managers and admins included, gets 404: they may not even learn that it
    exists."""
    return get_object_or_404(
        CoachingNote.objects.between(membership).select_related(
            "author__user", "subject__user", "subject__org", "share__item", "workshop"
        ),
        pk=note_id,
    )


def get_coachee(membership: Membership, membership_id: int) -> Membership:
    """An active member of the organisation this person may coach; 404, else 403."""
    subject = get_object_or_404(
        Membership.objects.active().select_related("user", "team", "org"),
        org=membership.org,
        pk=membership_id,
    )
    if not actions.can_coach(membership, subject):
        raise PermissionDenied
    return subject


@require_http_methods(["GET"])
@org_view()
def my_results(request: HttpRequest, membership: Membership) -> HttpResponse:
    """My own figures over a period, what they suggest, and the notes I received."""
    period = Period.from_query(request.GET.get("weeks"))
    results = personal_results(membership, period)
    notes = (
        CoachingNote.objects.filter(org=membership.org, subject=membership)
        .select_related("author__user", "share__item", "workshop")
        .with_reply_counts(membership)[:NOTES_LISTED]
    )
    context = {
        "period": period,
        "periods": PERIOD_WEEKS,
        "results": results,
        "suggestions": suggestions(results),
        "notes": notes,
    }
    return render(request, "coaching/my_results.html", context)


@require_http_methods(["GET"])
@org_view(Role.TEAM_MANAGER)
def team_results_view(request: HttpRequest, membership: Membership, team_id: int) -> HttpResponse:
    """A team's figures, each member's onboarding and figures, and my notes to them."""
    team = get_team(membership, team_id)
    period = Period.from_query(request.GET.get("weeks"))
    members = list(
        Membership.objects.active()
        .filter(org=membership.org, team=team)
        .select_related("user", "team")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    figures = team_results(members, period)
    states = checklists(membership.org, members)
    statuses = dict(
        Participation.objects.filter(membership__in=members).values_list("membership_id", "status")
    )
    rows = [
        {
            "member": member,
            "figures": figures.members[member.pk],
            "checklist": states.get(member.pk),
            "status_label": Participation.Status(statuses[member.pk]).label
            if member.pk in statuses
            else _("Not invited"),
            "can_coach": actions.can_coach(membership, member),
        }
        for member in members
    ]
    notes = (
        CoachingNote.objects.filter(org=membership.org, author=membership, subject__team=team)
        .select_related("subject__user", "share__item", "workshop")
        .with_reply_counts(membership)[:NOTES_LISTED]
    )
    context = {
        "team": team,
        "period": period,
        "periods": PERIOD_WEEKS,
        "figures": figures,
        "member_count": len(members),
        "rows": rows,
        "notes": notes,
    }
    return render(request, "coaching/team_results.html", context)


@require_http_methods(["GET", "POST"])
@org_view(Role.TEAM_MANAGER)
def coach(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    """Write a note to one person, about one of their shares or in general."""
    subject = get_coachee(membership, membership_id)
    # The person's latest shares to choose from (a sliced queryset cannot be filtered).
    share_ids = list(
        Share.objects.published()
        .filter(org=membership.org, membership=subject)
        .order_by("-published_at", "-id")
        .values_list("pk", flat=True)[:SHARES_LISTED]
    )
    choices = (
        Share.objects.filter(pk__in=share_ids)
        .select_related("item")
        .order_by("-published_at", "-id")
    )
    initial = {}
    wanted = parse_id(request.GET.get("share"))
    if wanted is not None and wanted in share_ids:
        initial["share"] = wanted
    form = NoteForm(request.POST or None, shares=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.do_write_note(
                membership, subject, form.cleaned_data["text"], share=form.cleaned_data["share"]
            )
        except actions.NoteRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Note sent. Only the two of you can read it."))
            return redirect("coaching_note", org=membership.org.slug, coachingnote_id=note.pk)
    notes = (
        CoachingNote.objects.filter(org=membership.org, author=membership, subject=subject)
        .select_related("subject__user", "share__item", "workshop")
        .with_reply_counts(membership)[:NOTES_LISTED]
    )
    context = {"subject": subject, "form": form, "notes": notes}
    return render(
        request, "coaching/coach.html", context, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET"])
@org_view()
def notes(request: HttpRequest, membership: Membership) -> HttpResponse:
    """My coaching conversations: the notes I received and, for managers, the ones I wrote."""
    listed = CoachingNote.objects.select_related(
        "author__user", "subject__user", "share__item", "workshop"
    ).with_reply_counts(membership)
    context = {
        "received": listed.filter(org=membership.org, subject=membership)[:NOTES_LISTED],
        "written": listed.filter(org=membership.org, author=membership)[:NOTES_LISTED],
    }
    return render(request, "coaching/notes.html", context)


@require_http_methods(["GET", "POST"])
@org_view()
def note(request: HttpRequest, membership: Membership, coachingnote_id: int) -> HttpResponse:
    """A note and its thread, for its author and its subject only; either can reply."""
    found = get_note(membership, coachingnote_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_reply(membership, found, form.cleaned_data["text"])
        messages.success(request, _("Reply sent."))
        return redirect("coaching_note", org=membership.org.slug, coachingnote_id=found.pk)
    if request.method == "GET":
        actions.do_mark_read(membership, found)
    replies = CoachingReply.objects.filter(note=found).select_related("author__user")
    context = {
        "note": found,
        "replies": replies,
        "form": form,
        "is_subject": found.subject_id == membership.pk,
        "other": found.other_party(membership),
    }
    return render(
        request, "coaching/note.html", context, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def workshop_follow_up(
    request: HttpRequest, membership: Membership, workshop_id: int
) -> HttpResponse:
    """Send a follow-up note to each person who attended the workshop."""
    workshop = get_object_or_404(Workshop, org=membership.org, pk=workshop_id)
    attended = (
        Membership.objects.active()
        .filter(
            org=membership.org,
            pk__in=WorkshopSignup.objects.filter(workshop=workshop, attended=True).values(
                "membership_id"
            ),
        )
        .exclude(pk=membership.pk)
        .select_related("user", "org")
        .order_by("user__first_name", "pk")
    )
    people = list(attended)
    form = FollowUpForm(request.POST or None, attendees=attended, initial={"attendees": people})
    if request.method == "POST" and form.is_valid():
        try:
            notes = actions.do_workshop_follow_up(
                membership, workshop, form.cleaned_data["text"], form.cleaned_data["attendees"]
            )
        except actions.NoteRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                ngettext(
                    "Follow-up sent to %(count)s person.",
                    "Follow-up sent to %(count)s people.",
                    len(notes),
                )
                % {"count": len(notes)},
            )
            return redirect("workshop", org=membership.org.slug, workshop_id=workshop.pk)
    sent = CoachingNote.objects.filter(
        org=membership.org, author=membership, workshop=workshop
    ).count()
    context = {"workshop": workshop, "form": form, "people": people, "sent": sent}
    return render(
        request,
        "coaching/workshop_follow_up.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
