"""The start pages: the site's home (to the organisation used last), the list of the person's
organisations, and an organisation's home page, which shows what every app has for the
person's role, so it lives in the top layer (docs/architecture.md). Templates: `orgs/`."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from chorus.accounts.models import User
from chorus.engage.onboarding import checklist
from chorus.feed.views import feed_context
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership
from chorus.web.today import today_for


@require_http_methods(["GET"])
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


@require_http_methods(["GET"])
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
    """An ambassador's home is their feed, led by their next onboarding step; a programme
    manager's is "Today": what needs their attention, with where to act."""
    Membership.objects.filter(pk=membership.pk).update(last_used_at=timezone.now())
    if not membership.can_manage_programme:
        context = feed_context(request, membership)
        participation = context["participation"]
        if participation is not None and participation.is_active:  # type: ignore[attr-defined]
            steps = checklist(membership)
            if not steps.complete:
                context["onboarding"] = steps
                context["next_step"] = next(step for step in steps.steps if not step.done)
        return render(request, "feed/feed.html", context)
    return render(request, "orgs/home.html", {"today": today_for(membership.org)})
