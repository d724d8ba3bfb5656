"""The ambassador's own profile in an organisation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.content.access import get_item
from chorus.content.models import Campaign, Topic
from chorus.feed.actions import do_save_profile
from chorus.feed.forms import ProfileForm
from chorus.feed.models import AmbassadorProfile
from chorus.feed.signals import profile_starting
from chorus.lib.networks import Network
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership
from chorus.program.models import Participation
from chorus.sharing.access import open_tasks


def profile_of(membership: Membership) -> AmbassadorProfile:
    found = AmbassadorProfile.objects.filter(membership=membership).first()
    if found is not None:
        return found
    defaults = {
        "org": membership.org,
        "languages": [membership.user.language or membership.org.default_language],
    }
    # Other apps add their defaults (the organisation's digest frequency, from notify).
    profile_starting.send(AmbassadorProfile, membership=membership, defaults=defaults)
    profile, _created = AmbassadorProfile.objects.get_or_create(
        membership=membership, defaults=defaults
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


# Cards per page of the feed; "load more" asks for the next page, up to MAX_PAGES.
PAGE_SIZE = 15
MAX_PAGES = 5


def feed_context(request: HttpRequest, membership: Membership) -> dict[str, object]:
    """The person's ranked suggestions with the filters asked for: the feed page's context,
    also shown as an ambassador's home page. `?page=N` is the N-th page of cards."""
    from chorus.feed.live import Filters, feed_for

    participation = Participation.objects.filter(membership=membership).first()
    topics = list(Topic.objects.filter(org=membership.org).order_by("name"))
    campaigns = list(Campaign.objects.filter(org=membership.org).order_by("name"))

    def chosen(name: str, allowed: set[str]) -> str:
        value = request.GET.get(name, "")
        return value if value in allowed else ""

    topic = chosen("topic", {str(t.pk) for t in topics})
    campaign = chosen("campaign", {str(c.pk) for c in campaigns})
    network = chosen("network", set(Network.values))
    page = int(chosen("page", {str(n) for n in range(1, MAX_PAGES + 1)}) or 1)
    filters = Filters(
        topic=int(topic) if topic else None,
        campaign=int(campaign) if campaign else None,
        network=network,
    )
    # The ranking is the person's, fresh: the first pages are ranked again and cut.
    ranked = feed_for(membership, k=page * PAGE_SIZE + 1, filters=filters)
    cards = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    more = len(ranked) > page * PAGE_SIZE and page < MAX_PAGES
    query = {
        key: value
        for key, value in (("topic", topic), ("campaign", campaign), ("network", network))
        if value
    }
    hidden = None
    if request.GET.get("hidden", "").isdigit():
        from chorus.content.models import ContentItem

        hidden = (
            ContentItem.objects.visible_to(membership).filter(pk=int(request.GET["hidden"])).first()
        )
    profile = AmbassadorProfile.objects.filter(membership=membership).only("networks").first()
    followed = list(profile.networks) if profile is not None and profile.networks else []
    return {
        "engagement_tasks": list(open_tasks(membership, followed)[:5]),
        "cards": cards,
        "participation": participation,
        "topics": topics,
        "campaigns": campaigns,
        "networks": Network.choices,
        "chosen": {"topic": topic, "campaign": campaign, "network": network},
        "filtered": bool(filters),
        "page": page,
        "next_page": urlencode({**query, "page": page + 1}) if more else "",
        "hidden": hidden,
    }


@require_http_methods(["GET"])
@org_view()
def feed(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The person's suggestions, ranked for them, each with the reasons it was chosen; htmx
    asks for the next page's cards alone ("load more")."""
    context = feed_context(request, membership)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "feed/_cards.html", context)
    return render(request, "feed/feed.html", context)


@require_http_methods(["POST"])
@org_view()
def not_for_me(request: HttpRequest, membership: Membership, contentitem_id: int) -> HttpResponse:
    """'Not for me': the card goes (with a way to undo), and similar items rank lower."""
    from chorus.feed.actions import do_not_for_me

    item = get_item(membership, contentitem_id)
    do_not_for_me(membership, item)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "feed/_hidden.html", {"item": item})
    return redirect(f"{reverse('feed', kwargs={'org': membership.org.slug})}?hidden={item.pk}")


@require_http_methods(["POST"])
@org_view()
def not_for_me_undo(
    request: HttpRequest, membership: Membership, contentitem_id: int
) -> HttpResponse:
    """Undo a 'not for me': the card is back in its place."""
    from chorus.content.access import get_item
    from chorus.feed.actions import do_undo_not_for_me
    from chorus.feed.live import feed_for

    item = get_item(membership, contentitem_id)
    do_undo_not_for_me(membership, item)
    if request.htmx:  # type: ignore[attr-defined]
        # The card as the feed shows it, with its reasons; ranked too far down (or no longer
        # shareable), it still comes back where it was, without them.
        ranked = feed_for(membership, k=PAGE_SIZE * MAX_PAGES)
        card = next((card for card in ranked if card.item.pk == item.pk), None)
        return render(
            request,
            "feed/_card.html",
            {"card": card or {"item": item, "reasons": [], "topics": []}},
        )
    return redirect("feed", org=membership.org.slug)
