"""Demo results for Acme: months of shares by the demo colleagues (not the demo logins),
each in their own words more or less, with the clicks, leads and engagement they drew and
the rollups built, so the programme dashboard has something to show. Idempotent.

Activity follows each person's months since they opted in, with the classic slump in the
second month and a partial recovery after it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from chorus.content.models import ContentItem, Topic
from chorus.feed.models import AmbassadorProfile
from chorus.links.actions import LinkError, link_for
from chorus.links.ingest import rebuild_days
from chorus.links.models import Click, Conversion, TrackedLink
from chorus.orgs.models import Membership, Organization
from chorus.sharing.models import EngagementSnapshot, Share

# Shares a week, by month since joining (then the last value): the second month slumps.
WEEKLY_SHARES = [2.2, 1.5, 0.08, 0.8, 0.9]
# The part of people who stop after their first two months.
DROPPING_OUT = 0.45
DEMO_LOGINS = {
    "admin@acme.example",
    "pm@acme.example",
    "manager@acme.example",
    "ambassador@acme.example",
}
MARK = "demo-analytics-"
OWN_WORDS = [
    "What struck me here is how simple the first step is.",
    "We tried this with two clients last quarter; the results were better than expected.",
    "A good read for anyone who works on this every day.",
    "Proud of the team behind this one.",
    "Curious to hear how others handle it.",
]


def load_analytics_demo(org: Organization, rng: random.Random) -> int:
    """Create the demo shares, clicks and conversions once, then build the rollups."""
    from chorus.analytics.rollups import rebuild

    if Share.objects.filter(org=org, remote_id__startswith=MARK).exists():
        return 0
    now = timezone.now()
    items = list(
        ContentItem.objects.shareable()
        .filter(org=org)
        .exclude(url="")
        .prefetch_related("topics")
        .order_by("id")[:60]
    )
    people = list(
        Membership.objects.filter(org=org, participation__opted_in_at__isnull=False)
        .exclude(user__email__in=DEMO_LOGINS)
        .select_related("participation")
        .order_by("id")
    )
    if not items or not people:
        return 0
    created = 0
    networks_of: dict[int, list[str]] = {}
    topics = list(Topic.objects.filter(org=org).order_by("id"))
    # What each person shares follows what they care about, so "Matches your topics" is true.
    favourites: dict[int, list[ContentItem]] = {}
    for person in people:
        profile = AmbassadorProfile.objects.filter(membership=person).first()
        if profile is None:
            chosen = rng.sample(["linkedin", "x", "mastodon", "bluesky"], rng.choice([1, 2, 2, 3]))
            profile = AmbassadorProfile.objects.create(
                org=org,
                membership=person,
                networks={
                    network: {
                        "size": rng.choice(["small", "medium", "medium", "large", "huge"]),
                        "who": ["peers"],
                    }
                    for network in chosen
                },
            )
            # Most people choose a few topics; some never do, and their feed says so.
            if topics and rng.random() < 0.8:
                profile.interests.set(rng.sample(topics, rng.choice([1, 2, 2, 3])))
            created += 1
        networks_of[person.pk] = list(profile.networks) or ["linkedin"]
        chosen_ids = set(profile.interests.values_list("id", flat=True))
        favourites[person.pk] = [
            item
            for item in items
            if chosen_ids & {topic.pk for topic in item.topics.all()}  # type: ignore[attr-defined]
        ]

    shares: list[Share] = []
    for person in people:
        participation = person.participation  # type: ignore[attr-defined]
        joined: datetime | None = participation.opted_in_at
        if joined is None:
            continue
        left: datetime = participation.left_at or now
        zeal = rng.uniform(0.5, 1.6)  # some share a lot, some rarely
        drops_out = rng.random() < DROPPING_OUT
        week: datetime = joined
        while week < left:
            # Calendar months, as the retention table counts them.
            months = (week.year - joined.year) * 12 + week.month - joined.month
            if drops_out and months >= 2:
                break
            rate = WEEKLY_SHARES[min(months, len(WEEKLY_SHARES) - 1)] * zeal
            count = sum(1 for _ in range(6) if rng.random() < rate / 6)
            for _ in range(count):
                when = week + timedelta(hours=rng.uniform(0, 7 * 24))
                if when >= left:
                    continue
                liked = favourites[person.pk]
                item = rng.choice(liked if liked and rng.random() < 0.8 else items)
                network = rng.choice(networks_of[person.pk])
                link = None
                if participation.is_active:
                    try:
                        link = link_for(person, network, item=item)
                    except LinkError:
                        link = None
                parrot = rng.random() < 0.15
                shares.append(
                    Share(
                        org=org,
                        membership=person,
                        item=item,
                        network=network,
                        method=rng.choice(["api", "api", "api", "intent", "intent"]),
                        link=link,
                        text=f"{rng.choice(OWN_WORDS)} {item.title}",
                        originality=round(rng.uniform(0.0, 0.2), 2)
                        if parrot
                        else round(rng.betavariate(3, 2), 2),
                        near_duplicates=rng.randint(1, 4) if parrot else 0,
                        status=Share.Status.PUBLISHED,
                        scheduled_for=when,
                        published_at=when,
                        remote_id=f"{MARK}{uuid.uuid4().hex[:12]}",
                    )
                )
            week += timedelta(days=7)
    Share.objects.bulk_create(shares, batch_size=500)
    created += len(shares)

    clicks: list[Click] = []
    for share in shares:
        published = share.published_at
        if share.link is None or published is None:
            continue
        visitors: list[str] = []
        # Original posts draw more clicks: people answer people.
        humans = rng.randint(0, 4) + (rng.randint(0, 8) if (share.originality or 0) > 0.5 else 0)
        for number in range(humans + rng.randint(0, 2)):
            bot = number >= humans
            moment = published + timedelta(hours=rng.expovariate(1 / 18))
            if moment > now:
                continue
            # Some come back to the same link: unique visitors are fewer than clicks.
            if visitors and not bot and rng.random() < 0.2:
                visitor = rng.choice(visitors)
            else:
                visitor = uuid.uuid4().hex
                visitors.append(visitor)
            clicks.append(
                Click(
                    org=org,
                    link=share.link,
                    event_id=uuid.uuid4().hex,
                    occurred_at=moment,
                    visitor=visitor,
                    is_bot=bot,
                    bot_reason="crawler list: LinkedInBot" if bot else "",
                    device="bot" if bot else rng.choice(["mobile", "mobile", "desktop"]),
                    referrer_domain={"linkedin": "linkedin.com", "x": "t.co"}.get(
                        share.network, ""
                    ),
                )
            )
    Click.objects.bulk_create(clicks, batch_size=1000)
    rebuild_days({(click.link_id, click.occurred_at.astimezone(UTC).date()) for click in clicks})
    created += len(clicks)

    links = {link.pk: link for link in TrackedLink.objects.filter(org=org)}
    human = [click for click in clicks if not click.is_bot]
    for number, click in enumerate(rng.sample(human, k=min(len(human) // 40, 60))):
        link = links[click.link_id]
        Conversion.objects.create(
            org=org,
            kind=rng.choice(["lead", "lead", "signup", "purchase"]),
            value=Decimal(rng.choice([0, 0, 49, 120, 990])),
            currency="EUR",
            external_id=f"demo-analytics-{number}",
            occurred_at=min(click.occurred_at + timedelta(hours=rng.uniform(1, 48)), now),
            click=click,
            link=link,
            ambassador_id=link.ambassador_id,
            item_id=link.item_id,
            campaign_id=link.campaign_id,
            network=link.network,
        )
        created += 1

    snapshots = []
    for share in shares:
        published = share.published_at
        if share.method != "api" or published is None or published > now - timedelta(hours=2):
            continue
        snapshots.append(
            EngagementSnapshot(
                org=org,
                share=share,
                taken_at=min(published + timedelta(days=3), now),
                reactions=rng.randint(0, 25),
                comments=rng.randint(0, 4),
                reposts=rng.randint(0, 3),
                quotes=0,
                impressions=rng.randint(80, 2500) if share.network == "x" else None,
            )
        )
    EngagementSnapshot.objects.bulk_create(snapshots, batch_size=500)

    rebuild(org)
    return created
