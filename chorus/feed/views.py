"""The ambassador's own profile in an organisation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.feed.forms import ProfileForm
from chorus.feed.models import Profile
from chorus.orgs.access import org_view
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


def profile_of(membership: Membership) -> Profile:
    profile, _created = Profile.objects.get_or_create(
        membership=membership,
        defaults={
            "org": membership.org,
            "languages": [membership.user.language or membership.org.default_language],
        },
    )
    return profile


@require_http_methods(["GET", "POST"])
@org_view()
def my_profile(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Topics, languages, networks and audiences, posting habits, digest: what the feed uses."""
    profile = profile_of(membership)
    form = ProfileForm(request.POST or None, instance=profile, org=membership.org)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit(membership.org, membership.user, "profile.change", profile)
        messages.success(request, _("Your ambassador profile was saved."))
        return redirect("my_profile", org=membership.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "feed/profile.html", {"form": form, "profile": profile}, status=status)


@require_http_methods(["GET"])
@org_view()
def feed(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The person's suggestions, ranked for them, each with the reasons it was chosen."""
    from chorus.feed.live import feed_for
    from chorus.program.models import Participation

    participation = Participation.objects.filter(membership=membership).first()
    cards = feed_for(membership)
    return render(request, "feed/feed.html", {"cards": cards, "participation": participation})


@require_http_methods(["POST"])
@org_view()
def not_for_me(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    """'Not for me': the card goes, and similar items rank lower from now on."""
    from chorus.content.access import get_item
    from chorus.feed.models import Feedback

    item = get_item(membership, contentitem_id)
    Feedback.objects.get_or_create(org=membership.org, membership=membership, item=item)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")
    return redirect("feed", org=membership.org.slug)
