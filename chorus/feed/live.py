"""The live feed: the organisation's data mapped onto the ranking engine, and reasons in
words. The engine is the same one `chorus feed-recommend` and `chorus feed-eval` use.

A request splits the work in two. The organisation's part (`OrgFeed`: item vectors,
topics, campaigns, colleagues' shares and audiences) is the same for everybody and costs
seconds for a large catalogue, so it is built once and kept (`chorus.feed.cache`) until
something it reads changes. The person's part is read on every request: their profile,
their own shares and "not for me" (passed to `FeedContext.rank` as fresh interactions),
and the cards' rows, fetched for the chosen items only and checked live again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db.models import Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.content.models import Campaign, ContentItem
from chorus.feed import cache, shared
from chorus.feed.engine import FeedContext, Holding, Interaction, Item, Person, Suggestion
from chorus.feed.models import AmbassadorProfile, Feedback
from chorus.links.models import TrackedLink
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Participation, is_participant
from chorus.sharing.models import Share

# Cards asked of the ranker beyond the page, in case one went offline since the
# organisation's part was built (it is then dropped, and the next one shows).
SPARE_CARDS = 5


@dataclass
class Card:
    item: ContentItem
    suggestion: Suggestion
    reasons: list[str]
    topics: list[str] = field(default_factory=list)
    caption_networks: list[str] = field(default_factory=list)


@dataclass
class Learnt:
    """What a context learnt of the organisation's shares, links and "not for me", so that
    only the rows that came after are read (`with_new_shares`)."""

    taken: dict[tuple[str, str], datetime]  # (person, item): first queued or shared
    dismissed: set[tuple[str, str]]
    last_link: int
    last_share: int
    last_feedback: int
    counts: tuple[int, int, int]  # links, shares, "not for me" rows read
    last_change: datetime | None  # the shares' latest `updated_at`
    applied: dict[int, datetime]  # shares changed since `last_change - OVERLAP`: updated_at


@dataclass
class OrgFeed:
    """The organisation-wide part of every member's feed, as it was at `built_at`."""

    context: FeedContext
    holding: Holding  # who shared which item
    built_at: datetime
    valid_until: datetime  # an item goes live or expires, or a campaign day starts
    texts_key: str  # the item texts the context's text index was built from
    learnt: Learnt | None = None  # None: learn every interaction again


def _person(member: Membership, profile: AmbassadorProfile | None, org: Organization) -> Person:
    return Person(
        id=str(member.pk),
        team=str(member.team_id or ""),
        site=profile.site if profile else "",
        languages=(profile.languages if profile else [])
        or [member.user.language or org.default_language],
        topics=[topic.name for topic in profile.interests.all()] if profile else [],
        networks=list(profile.networks) if profile else [],
        audience=[persona.name for persona in profile.personas.all()] if profile else [],
    )


def _people(org: Organization) -> list[Person]:
    """Everyone who opted in: only they are ranked for, and only they count as holders."""
    members = Membership.objects.filter(
        org=org, participation__status=Participation.Status.ACTIVE
    ).select_related("user")
    profiles = {
        profile.membership_id: profile
        for profile in AmbassadorProfile.objects.filter(org=org).prefetch_related(
            "interests", "personas"
        )
    }
    return [_person(member, profiles.get(member.pk), org) for member in members]


def _items(org: Organization, now: datetime) -> tuple[list[Item], datetime | None]:
    """The live, shareable items as the engine sees them, and the first expiry among them."""
    live = ContentItem.objects.shareable(now).filter(org=org).exclude(url="")
    rows = list(
        live.order_by("pk").values_list(
            "pk", "title", "summary", "language", "kind",
            Coalesce("publish_at", "created_at"), "campaign_id",
        )
    )  # fmt: skip
    names: dict[int, list[str]] = defaultdict(list)
    for item_id, name in (
        ContentItem.topics.through.objects.filter(contentitem__org=org)
        .order_by("topic__name")
        .values_list("contentitem_id", "topic__name")
    ):
        names[item_id].append(name)
    # Items with the same topics share one list: the kept context holds fewer objects for
    # the garbage collector to walk.
    shared: dict[tuple[str, ...], list[str]] = {}
    topics = {pk: shared.setdefault(tuple(found), found) for pk, found in names.items()}
    # Running campaigns only: priority, teams, networks, personas aimed at.
    campaigns = {
        campaign.pk: (
            campaign.priority,
            [str(team.pk) for team in campaign.target_teams.all()],
            list(campaign.target_networks),
            [persona.name for persona in campaign.target_personas.all()],
        )
        for campaign in Campaign.objects.filter(org=org).prefetch_related(
            "target_teams", "target_personas"
        )
        if campaign.is_running(now)
    }
    no_campaign: tuple[int, list[str], list[str], list[str]] = (0, [], [], [])
    no_topics: list[str] = []
    items = []
    for pk, title, summary, language, kind, published_at, campaign_id in rows:
        priority, teams, networks, personas = campaigns.get(campaign_id, no_campaign)
        items.append(
            Item(
                id=str(pk),
                title=title,
                summary=summary,
                language=language or "en",
                topics=topics.get(pk, no_topics),
                published_at=published_at,
                campaign_priority=priority,
                kind=kind,
                campaign_teams=teams,
                campaign_networks=networks,
                campaign_personas=personas,
            )
        )
    return items, live.aggregate(first=Min("expire_at"))["first"]


def _texts_key(texts: list[str]) -> str:
    """A digest of the items' texts, the same in every process (unlike `hash`)."""
    digest = hashlib.blake2b(digest_size=16)
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


# Shares that neither took a slot nor went out.
SHARE_NOT_COUNTED = (Share.Status.CANCELLED, Share.Status.FAILED, Share.Status.DRAFT)


# Shares changed this long before the latest change seen are read again: a transaction
# that committed late with an earlier `updated_at` is still seen.
OVERLAP = timedelta(minutes=1)


def _links(org: Organization):  # type: ignore[no-untyped-def]
    return TrackedLink.objects.filter(org=org, ambassador__isnull=False, item__isnull=False)


def _shares(org: Organization):  # type: ignore[no-untyped-def]
    return Share.objects.filter(org=org, membership__isnull=False).order_by()


def org_interactions(org: Organization) -> tuple[list[Interaction], dict[str, set[str]], Learnt]:
    """Everybody's shares and "not for me", who holds (queued or shared) each item, and
    where the reading stopped."""
    # Queued or shared: a share (scheduled, published…) or a tracked link taken to share.
    taken: dict[tuple[str, str], datetime] = {}
    links = list(_links(org).values_list("pk", "ambassador_id", "item_id", "created_at"))
    for _pk, person, item, at in links:
        taken[(str(person), str(item))] = at
    shares = list(
        _shares(org).values_list("pk", "membership_id", "item_id", "status", "created_at",
                                 "updated_at")
    )  # fmt: skip
    for _pk, person, item, status, at, _changed in shares:
        if status not in SHARE_NOT_COUNTED:
            key = (str(person), str(item))
            taken[key] = min(at, taken.get(key, at))
    feedback = list(
        Feedback.objects.filter(org=org).values_list("pk", "membership_id", "item_id", "created_at")
    )
    interactions = [Interaction(person, item, "share", at) for (person, item), at in taken.items()]
    interactions += [
        Interaction(str(person), str(item), "dismiss", at) for _pk, person, item, at in feedback
    ]
    holders: dict[str, set[str]] = defaultdict(set)
    for person, item in taken:
        holders[item].add(person)
    last_change = max((row[5] for row in shares), default=None)
    learnt = Learnt(
        taken=taken,
        dismissed={(str(person), str(item)) for _pk, person, item, _at in feedback},
        last_link=max((row[0] for row in links), default=0),
        last_share=max((row[0] for row in shares), default=0),
        last_feedback=max((row[0] for row in feedback), default=0),
        counts=(len(links), len(shares), len(feedback)),
        last_change=last_change,
        applied=_recent(shares, last_change),
    )
    return interactions, holders, learnt


def _recent(shares: list[tuple], last_change: datetime | None) -> dict[int, datetime]:  # type: ignore[type-arg]
    if last_change is None:
        return {}
    return {row[0]: row[5] for row in shares if row[5] >= last_change - OVERLAP}


def _new_interactions(org: Organization, learnt: Learnt) -> tuple[list[Interaction], Learnt] | None:
    """The interactions added since `learnt`, read from the rows that came after it, and
    where the reading stopped; None when something was taken away (a share cancelled or
    deleted, a link or a "not for me" deleted, an earlier time): then everything is learnt
    again."""
    counts = (_links(org).count(), _shares(org).count(), Feedback.objects.filter(org=org).count())
    links = list(
        _links(org)
        .filter(pk__gt=learnt.last_link)
        .values_list("pk", "ambassador_id", "item_id", "created_at")
    )
    recent = Q(pk__gt=learnt.last_share)
    if learnt.last_change is not None:
        recent |= Q(updated_at__gte=learnt.last_change - OVERLAP)
    shares = [
        row
        for row in _shares(org)
        .filter(recent)
        .values_list("pk", "membership_id", "item_id", "status", "created_at", "updated_at")
        if learnt.applied.get(row[0]) != row[5]
    ]
    feedback = list(
        Feedback.objects.filter(org=org, pk__gt=learnt.last_feedback).values_list(
            "pk", "membership_id", "item_id", "created_at"
        )
    )
    added_shares = sum(1 for row in shares if row[0] > learnt.last_share)
    if counts != (
        learnt.counts[0] + len(links),
        learnt.counts[1] + added_shares,
        learnt.counts[2] + len(feedback),
    ):
        return None
    taken = dict(learnt.taken)
    added: list[Interaction] = []
    candidates = [(str(p), str(i), at, True) for _pk, p, i, at in links] + [
        (str(p), str(i), at, status not in SHARE_NOT_COUNTED)
        for _pk, p, i, status, at, _changed in shares
    ]
    for person, item, at, counted in candidates:
        key = (person, item)
        if not counted:
            if key in taken:
                return None  # it may have been what made the pair taken
        elif key not in taken:
            taken[key] = at
            added.append(Interaction(person, item, "share", at))
        elif at < taken[key]:
            return None
    dismissed = set(learnt.dismissed)
    for _pk, person_id, item_id, at in feedback:
        key = (str(person_id), str(item_id))
        if key not in dismissed:
            dismissed.add(key)
            added.append(Interaction(key[0], key[1], "dismiss", at))
    last_change = max([learnt.last_change, *(row[5] for row in shares)], key=_moment)
    applied = {
        pk: at
        for pk, at in [*learnt.applied.items(), *((row[0], row[5]) for row in shares)]
        if last_change is None or at >= last_change - OVERLAP
    }
    return added, Learnt(
        taken=taken,
        dismissed=dismissed,
        last_link=max([learnt.last_link, *(row[0] for row in links)]),
        last_share=max([learnt.last_share, *(row[0] for row in shares)]),
        last_feedback=max([learnt.last_feedback, *(row[0] for row in feedback)]),
        counts=counts,
        last_change=last_change,
        applied=applied,
    )


def _moment(value: datetime | None) -> datetime:
    return value if value is not None else datetime.min.replace(tzinfo=UTC)


def with_new_shares(org: Organization, org_feed: OrgFeed) -> OrgFeed:
    """The context after the organisation's new shares and "not for me", on the same items
    and people: what a colleague's share changes, without a rebuild. Only the rows that came
    after the ones learnt are read and learnt (`FeedContext.with_more_interactions`); when
    something was taken away, every interaction is learnt again."""
    now = timezone.now()
    found = _new_interactions(org, org_feed.learnt) if org_feed.learnt is not None else None
    if found is None:
        interactions, holders, learnt = org_interactions(org)
        context = org_feed.context.with_interactions(interactions, now)
        return replace(org_feed, context=context, holding=context.holding(holders), learnt=learnt)
    added, learnt = found
    context = org_feed.context.with_more_interactions(added, now)
    new_holders: dict[str, set[str]] = defaultdict(set)
    for interaction in added:
        if interaction.kind == "share":
            new_holders[interaction.item].add(interaction.person)
    new = context.holding(new_holders)
    holding = Holding(
        np.concatenate([org_feed.holding.items, new.items]),
        np.concatenate([org_feed.holding.people, new.people]),
    )
    return replace(org_feed, context=context, holding=holding, learnt=learnt)


def build_org_feed(org: Organization, now: datetime, previous: OrgFeed | None = None) -> OrgFeed:
    """Read the organisation once and build its ranking context.

    The text index (the slow part) is taken from `previous` when the items' texts did not
    change, e.g. when only a campaign changed.
    """
    people = _people(org)
    items, first_expiry = _items(org, now)
    interactions, holders, learnt = org_interactions(org)
    texts_key = _texts_key(FeedContext.item_texts(items))
    text = previous.context.text if previous and previous.texts_key == texts_key else None
    context = FeedContext(people, items, interactions, now, text=text)
    context.forget_item_texts()  # the text index has them; every process maps the context
    next_publication = ContentItem.objects.filter(
        org=org, status=ContentItem.Status.PUBLISHED, publish_at__gt=now
    ).aggregate(first=Min("publish_at"))["first"]
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    valid_until = min(
        moment for moment in (first_expiry, next_publication, tomorrow) if moment is not None
    )
    return OrgFeed(context, context.holding(holders), now, valid_until, texts_key, learnt)


def refresh_shared_context(org: Organization) -> bool:
    """Make sure the organisation's shared context is current (the worker, after a change);
    True when it had to be built."""
    before = shared.current(org.pk)
    cache.organisation_feed(org, timezone.now(), build_org_feed, with_new_shares, stale=False)
    after = shared.current(org.pk)
    return (before or {}).get("directory") != (after or {}).get("directory")


def _own_interactions(membership: Membership) -> list[Interaction]:
    """What the person did, read now: their shares and their "not for me"."""
    person = str(membership.pk)
    # Shared for real: a share that went out or is on its way, or a tracked link that
    # brought clicks. (A link fetched by opening the composer is not a share yet.)
    shared: dict[str, datetime] = {}
    for item, at in (
        Share.objects.filter(membership=membership)
        .exclude(status__in=SHARE_NOT_COUNTED)
        .values_list("item_id", "created_at")
    ):
        shared[str(item)] = min(at, shared.get(str(item), at))
    for item, at in (
        TrackedLink.objects.filter(ambassador=membership, item__isnull=False, days__clicks__gt=0)
        .values_list("item_id", "created_at")
        .distinct()
    ):
        shared[str(item)] = min(at, shared.get(str(item), at))
    interactions = [Interaction(person, item, "share", at) for item, at in shared.items()]
    interactions += [
        Interaction(person, str(item), "dismiss", at)
        for item, at in Feedback.objects.filter(membership=membership).values_list(
            "item_id", "created_at"
        )
    ]
    return interactions


@dataclass(frozen=True)
class Filters:
    """Narrow the feed to a topic, a campaign, or items with a caption for a network."""

    topic: int | None = None
    campaign: int | None = None
    network: str = ""

    def __bool__(self) -> bool:
        return bool(self.topic or self.campaign or self.network)


# With a filter on, more of the ranking is read so that the page still fills.
FILTERED_DEPTH = 400


def feed_for(membership: Membership, k: int = 20, filters: Filters | None = None) -> list[Card]:
    """The person's ranked cards; empty for anyone who has not opted in (or left)."""
    if not is_participant(membership):
        return []
    org, now = membership.org, timezone.now()
    org_feed = cache.organisation_feed(org, now, build_org_feed, with_new_shares)
    if not org_feed.context.items:
        return []
    profile = (
        AmbassadorProfile.objects.filter(membership=membership)
        .prefetch_related("interests", "personas")
        .first()
    )
    suggestions = org_feed.context.rank(
        _person(membership, profile, org),
        max(k + SPARE_CARDS, FILTERED_DEPTH) if filters else k + SPARE_CARDS,
        queued_or_shared_by=org_feed.holding,
        now=now,
        interactions=_own_interactions(membership),
    )
    # Read again, live and shareable now: never show what went offline a second ago. By
    # primary key only, the organisation checked below: with `org` in the query, SQLite's
    # planner (no statistics) walked the organisation's (org, status) index, 150 ms at
    # 200,000 items, instead of looking 25 keys up.
    chosen = ContentItem.objects.shareable(now).filter(pk__in=[int(s.item_id) for s in suggestions])
    if filters and filters.topic:
        chosen = chosen.filter(topics=filters.topic)
    if filters and filters.campaign:
        chosen = chosen.filter(campaign=filters.campaign)
    if filters and filters.network:
        chosen = chosen.filter(captions__network=filters.network).distinct()
    items = {
        str(item.pk): item
        for item in chosen.exclude(url="")
        .order_by()
        .select_related("campaign")
        .prefetch_related("topics", "captions")
        if item.org_id == org.pk
    }
    cards = []
    for suggestion in suggestions:
        item = items.get(suggestion.item_id)
        if item is None:
            continue
        networks = {caption.get_network_display(): None for caption in item.captions.all()}
        cards.append(
            Card(
                item,
                suggestion,
                [reason_text(code, params) for code, params in suggestion.reasons],
                topics=[topic.name for topic in item.topics.all()],
                caption_networks=[str(network) for network in networks],
            )
        )
    return cards[:k]


def reason_text(code: str, params: dict) -> str:  # type: ignore[type-arg]
    """One reason, in the person's language, from the score component it came from."""
    if code == "topic_match":
        return _("Matches your topics: %(topics)s") % {"topics": ", ".join(params["topics"])}
    if code == "topic_of_your_shares":
        return _("Like what you shared before: %(topics)s") % {
            "topics": ", ".join(params["topics"])
        }
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
