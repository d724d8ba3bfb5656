"""The ambassador's own profile in an organisation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.feed.actions import do_save_profile
from chorus.feed.forms import ProfileForm
from chorus.feed.models import Profile
from chorus.notify.actions import digest_settings
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership
from chorus.sharing.access import open_tasks


def profile_of(membership: Membership) -> Profile:
    found = Profile.objects.filter(membership=membership).first()
    if found is not None:
        return found
    # A new profile starts with the organisation's digest default.
    profile, _created = Profile.objects.get_or_create(
        membership=membership,
        defaults={
            "org": membership.org,
            "languages": [membership.user.language or membership.org.default_language],
            "digest": digest_settings(membership.org).default_frequency,
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
        do_save_profile(membership, form)
        messages.success(request, _("Your ambassador profile was saved."))
        return redirect("my_profile", org=membership.org.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "feed/profile.html", {"form": form, "profile": profile}, status=status)


def feed_context(request: HttpRequest, membership: Membership) -> dict[str, object]:
    """The person's ranked suggestions with the filters asked for: the feed page's context,
    also shown as an ambassador's home page."""
    from chorus.content.models import Campaign, Topic
    from chorus.feed.live import Filters, feed_for
    from chorus.lib.networks import Network
    from chorus.program.models import Participation

    participation = Participation.objects.filter(membership=membership).first()
    topics = list(Topic.objects.filter(org=membership.org).order_by("name"))
    campaigns = list(Campaign.objects.filter(org=membership.org).order_by("name"))

    def chosen(name: str, allowed: set[str]) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    topic = chosen("topic", {str(t.pk) for t in topics})
    campaign = chosen("campaign", {str(c.pk) for c in campaigns})
    network = chosen("network", set(Network.values))
    filters = Filters(
        topic=int(topic) if topic else None,
        campaign=int(campaign) if campaign else None,
        network=network,
    )
    profile = Profile.objects.filter(membership=membership).only("networks").first()
    followed = list(profile.networks) if profile is not None and profile.networks else []
    return {
        "engagement_tasks": list(open_tasks(membership, followed)[:5]),
        "cards": feed_for(membership, filters=filters),
        "participation": participation,
        "topics": topics,
        "campaigns": campaigns,
        "networks": Network.choices,
        "chosen": {"topic": topic, "campaign": campaign, "network": network},
        "filtered": bool(filters),
    }


@require_http_methods(["GET"])
@org_view()
def feed(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The person's suggestions, ranked for them, each with the reasons it was chosen."""
    return render(request, "feed/feed.html", feed_context(request, membership))


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
