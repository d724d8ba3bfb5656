"""Onboarding, training resources, workshops, questions and the FAQ."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.content.models import ContentItem
from chorus.lib.ids import parse_id
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.program import actions
from chorus.program.forms import AnswerForm, QuestionForm, ResourceForm, WorkshopForm
from chorus.program.models import (
    Question,
    Resource,
    ResourceRead,
    ResourceText,
    Workshop,
    WorkshopSignup,
)

# --- Training resources -------------------------------------------------------------------


def _resources(membership: Membership) -> list[Resource]:
    return list(
        Resource.objects.filter(org=membership.org).prefetch_related(
            Prefetch("texts", queryset=ResourceText.objects.all())
        )
    )


@require_http_methods(["GET"])
@org_view()
def resources(request: HttpRequest, membership: Membership) -> HttpResponse:
    language = translation.get_language() or ""
    read = set(
        ResourceRead.objects.filter(membership=membership).values_list("resource_id", flat=True)
    )
    rows = [
        {"resource": resource, "text": resource.text_in(language), "read": resource.pk in read}
        for resource in _resources(membership)
    ]
    return render(request, "program/resources.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@org_view()
def resource(request: HttpRequest, membership: Membership, resource_id: int) -> HttpResponse:
    """Read a resource; "I have read it" records the onboarding step."""
    found = get_object_or_404(
        Resource.objects.prefetch_related("texts"), org=membership.org, pk=resource_id
    )
    if request.method == "POST":
        actions.do_mark_read(membership, found)
        messages.success(request, _("Noted. Thank you!"))
        return redirect("start", org=membership.org.slug)
    language = translation.get_language() or ""
    context = {
        "resource": found,
        "text": found.text_in(language),
        "read": ResourceRead.objects.filter(resource=found, membership=membership).exists(),
    }
    return render(request, "program/resource.html", context)


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def resource_edit(
    request: HttpRequest, membership: Membership, resource_id: int | None = None
) -> HttpResponse:
    found = None
    initial: dict = {}
    if resource_id is not None:
        found = get_object_or_404(
            Resource.objects.prefetch_related("texts"), org=membership.org, pk=resource_id
        )
        initial = {
            "kind": found.kind,
            "is_guide": found.is_guide,
            "url": found.url,
            "position": found.position,
        }
        for text in found.texts.all():
            initial[f"title_{text.language}"] = text.title
            initial[f"body_{text.language}"] = text.body
    form = ResourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.do_save_resource(membership, found, form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("resources", org=membership.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "program/resource_form.html", {"form": form, "resource": found}, status=status
    )


# --- Workshops ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view()
def workshops(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Upcoming workshops with sign-up; program managers plan new ones here."""
    can_manage = membership.has_role(Role.PROGRAM_MANAGER)
    form = WorkshopForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            actions.do_create_workshop(membership, form.save(commit=False))
            messages.success(request, _("Saved."))
            return redirect("workshops", org=membership.org.slug)
    now = timezone.now()
    listed = Workshop.objects.filter(org=membership.org).annotate(
        signed=Count("signups"),
        mine=Count("signups", filter=Q(signups__membership=membership)),
    )
    context = {
        "upcoming": listed.filter(starts_at__gt=now),
        "past": listed.filter(starts_at__lte=now).order_by("-starts_at")[:10],
        "form": form,
        "can_manage": can_manage,
    }
    return render(
        request,
        "program/workshops.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view()
def workshop(request: HttpRequest, membership: Membership, workshop_id: int) -> HttpResponse:
    found = get_object_or_404(Workshop, org=membership.org, pk=workshop_id)
    can_manage = membership.has_role(Role.PROGRAM_MANAGER)
    if request.method == "POST":
        choice = request.POST.get("action")
        try:
            if choice == "signup":
                actions.do_signup(membership, found)
                messages.success(request, _("You are signed up."))
            elif choice == "cancel":
                actions.do_cancel_signup(membership, found)
                messages.success(request, _("Your place is released."))
            elif choice == "attendance" and can_manage:
                present = {
                    signup_id
                    for signup_id in map(parse_id, request.POST.getlist("present"))
                    if signup_id is not None
                }
                actions.do_record_attendance(membership, found, present)
                messages.success(request, _("Attendance saved."))
            else:
                raise PermissionDenied
        except actions.ActionRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("workshop", org=membership.org.slug, workshop_id=found.pk)
    signups = (
        WorkshopSignup.objects.filter(workshop=found).select_related("membership__user")
        if can_manage
        else WorkshopSignup.objects.none()
    )
    context = {
        "workshop": found,
        "signed_up": WorkshopSignup.objects.filter(workshop=found, membership=membership).exists(),
        "taken": found.signups.count(),
        "signups": signups,
        "can_manage": can_manage,
        "is_past": found.starts_at <= timezone.now(),
    }
    return render(request, "program/workshop.html", context)


# --- Questions and FAQ --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view()
def ask(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Ask the programme team, from any page (the page and item come along)."""
    source = request.POST.get("from") or request.GET.get("from") or ""
    if not url_has_allowed_host_and_scheme(source, allowed_hosts=None) or not source.startswith(
        "/"
    ):
        source = ""
    item_id = request.POST.get("item") or request.GET.get("item") or ""
    # Only an item the person can see: its title is shown back on the page.
    items = ContentItem.objects.visible_to(membership)
    item_pk = parse_id(item_id)
    item = items.filter(pk=item_pk).first() if item_pk is not None else None
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = actions.do_ask(
            membership, form.cleaned_data["text"], context_path=source, item=item
        )
        messages.success(request, _("Sent. You will get the answer as a notification."))
        return redirect("question", org=membership.org.slug, question_id=question.pk)
    context = {"form": form, "source": source, "item": item}
    return render(
        request, "program/ask.html", context, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET"])
@org_view()
def questions(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The programme team's inbox; everyone else sees their own questions."""
    can_answer = membership.has_role(Role.PROGRAM_MANAGER)
    listed = Question.objects.filter(org=membership.org).select_related("asked_by__user", "item")
    if not can_answer:
        listed = listed.filter(asked_by=membership)
    context = {
        "open": listed.filter(answered_at__isnull=True).order_by("-asked_at", "-id")[:100],
        "answered": listed.filter(answered_at__isnull=False).order_by("-answered_at", "-id")[:100],
        "can_answer": can_answer,
    }
    return render(request, "program/questions.html", context)


@require_http_methods(["GET", "POST"])
@org_view()
def question(request: HttpRequest, membership: Membership, question_id: int) -> HttpResponse:
    found = get_object_or_404(
        Question.objects.select_related("asked_by__user", "item", "answered_by__user"),
        org=membership.org,
        pk=question_id,
    )
    can_answer = membership.has_role(Role.PROGRAM_MANAGER)
    if not can_answer and found.asked_by_id != membership.pk:
        raise PermissionDenied
    form = None
    if can_answer:
        form = AnswerForm(
            request.POST or None,
            initial={
                "answer": found.answer,
                "in_faq": found.in_faq,
                "faq_question": found.faq_question,
                "faq_answer": found.faq_answer,
            },
        )
        if request.method == "POST" and form.is_valid():
            actions.do_answer(membership, found, form.cleaned_data)
            messages.success(request, _("Answer sent."))
            return redirect("questions", org=membership.org.slug)
    elif request.method == "POST":
        raise PermissionDenied
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "program/question.html",
        {"question": found, "form": form, "can_answer": can_answer},
        status=status,
    )


@require_http_methods(["GET"])
@org_view()
def faq(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Answers the programme chose to share with everyone, searchable."""
    query = request.GET.get("q", "").strip()[:100]
    entries = Question.objects.filter(org=membership.org, in_faq=True, answered_at__isnull=False)
    if query:
        for word in query.split()[:8]:
            # The answer sent to the asker is searched only when it is what the FAQ shows.
            entries = entries.filter(
                Q(faq_question__icontains=word)
                | Q(faq_answer__icontains=word)
                | Q(faq_answer="", answer__icontains=word)
            )
    return render(
        request,
        "program/faq.html",
        {"entries": entries.order_by("faq_question")[:200], "query": query},
    )
