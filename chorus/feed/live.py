"""The live feed: the organisation's data mapped onto the ranking engine, and reasons in
words. The engine is the same one `chorus feed-recommend` and `chorus feed-eval` use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.content.models import ContentItem
from chorus.feed.engine import FeedContext, Interaction, Item, Person, Suggestion
from chorus.feed.models import Feedback, Profile
from chorus.links.models import TrackedLink
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Participation


@dataclass
class Card:
    item: ContentItem
    suggestion: Suggestion
    reasons: list[str]


def _people(org: Organization) -> list[Person]:
    """Everyone who opted in: only they are ranked for, and only they count as holders."""
    members = Membership.objects.filter(
        org=org, participation__status=Participation.Status.ACTIVE
    ).select_related("user")
    profiles = {
        profile.membership_id: profile
        for profile in Profile.objects.filter(org=org).prefetch_related("interests", "personas")
    }
    people = []
    for member in members:
        profile = profiles.get(member.pk)
        people.append(
            Person(
                id=str(member.pk),
                team=str(member.team_id or ""),
                site=profile.site if profile else "",
                languages=(profile.languages if profile else [])
                or [member.user.language or org.default_language],
                topics=[topic.name for topic in profile.interests.all()] if profile else [],
                networks=list(profile.networks) if profile else [],
                audience=[persona.name for persona in profile.personas.all()] if profile else [],
            )
        )
    return people


def _items(org: Organization, now: datetime) -> dict[str, ContentItem]:
    items = (
        ContentItem.objects.shareable(now)
        .filter(org=org)
        .exclude(url="")
        .select_related("campaign")
        .prefetch_related("topics", "campaign__target_teams", "campaign__target_personas")
    )
    return {str(item.pk): item for item in items}


def _engine_item(item: ContentItem, now: datetime) -> Item:
    campaign = item.campaign
    running = campaign is not None and campaign.is_running(now)
    return Item(
        id=str(item.pk),
        title=item.title,
        summary=item.summary,
        language=item.language or "en",
        topics=[topic.name for topic in item.topics.all()],
        published_at=item.publish_at or item.created_at,
        campaign_priority=campaign.priority if running else 0,  # type: ignore[union-attr]
        kind=item.kind,
        campaign_teams=[str(team.pk) for team in campaign.target_teams.all()] if running else [],  # type: ignore[union-attr]
        campaign_networks=list(campaign.target_networks) if running else [],  # type: ignore[union-attr]
        campaign_personas=[p.name for p in campaign.target_personas.all()] if running else [],  # type: ignore[union-attr]
    )


def feed_for(membership: Membership, k: int = 20) -> list[Card]:
    """The person's ranked cards; empty for anyone who has not opted in (or left)."""
    if not Participation.objects.filter(
        membership=membership, status=Participation.Status.ACTIVE
    ).exists():
        return []
    org, now = membership.org, timezone.now()
    people = _people(org)
    items = _items(org, now)
    if not items:
        return []
    links = TrackedLink.objects.filter(org=org, item_id__in=[int(i) for i in items]).exclude(
        ambassador__isnull=True
    )
    interactions = [
        Interaction(str(link.ambassador_id), str(link.item_id), "share", link.created_at)
        for link in links
    ]
    interactions += [
        Interaction(
            str(feedback.membership_id), str(feedback.item_id), "dismiss", feedback.created_at
        )
        for feedback in Feedback.objects.filter(org=org, item_id__in=[int(i) for i in items])
    ]
    holders: dict[str, set[str]] = {}
    for interaction in interactions:
        if interaction.kind == "share":
            holders.setdefault(interaction.item, set()).add(interaction.person)
    context = FeedContext(
        people, [_engine_item(item, now) for item in items.values()], interactions, now
    )
    suggestions = context.rank(str(membership.pk), k, queued_or_shared_by=holders, now=now)
    return [
        Card(items[s.item_id], s, [reason_text(code, params) for code, params in s.reasons])
        for s in suggestions
    ]


def reason_text(code: str, params: dict) -> str:  # type: ignore[type-arg]
    """One reason, in the person's language, from the score component it came from."""
    if code == "topic_match":
        return _("Matches your topics: %(topics)s") % {"topics": ", ".join(params["topics"])}
    if code == "similar_to_your_shares":
        return _("Close to what you shared before")
    if code == "similar_to_your_writing":
        return _("Close to what you write about")
    if code == "shared_by_similar_colleagues":
        return _("Shared by colleagues whose shares resemble yours")
    if code == "popular_with_colleagues":
        count = params.get("team") or params.get("site") or 0
        return ngettext(
            "Shared by %(count)s colleague near you",
            "Shared by %(count)s colleagues near you",
            count,
        ) % {"count": count}
    if code == "campaign_priority":
        if params.get("targeted"):
            return _("Campaign aimed at you (priority %(priority)s/5)") % params
        return _("Campaign priority %(priority)s/5") % params
    if code == "fits_your_networks":
        return _("Fits your networks and audience")
    if code == "fresh" and params["hours"] < 1:
        return _("New: published within the hour")
    if code == "fresh":
        return (
            ngettext(
                "New: published %(hours)s hour ago",
                "New: published %(hours)s hours ago",
                params["hours"],
            )
            % params
        )
    if code == "pushed_down_overlap":
        return (
            ngettext(
                "Lower in your feed: %(colleagues)s colleague with an audience like yours has it",
                "Lower in your feed: %(colleagues)s colleagues with audiences like yours have it",
                params["colleagues"],
            )
            % params
        )
    return code
