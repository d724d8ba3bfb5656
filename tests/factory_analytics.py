"""Test helpers for the analytics part of results (issue: results that guide)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

NETWORKS = ["linkedin", "x", "mastodon", "bluesky", "email"]
SIZES = ["small", "medium", "large", "huge"]


def populate(org: Any, member: Any) -> None:
    """One object of each analytics model in the organisation, for the isolation walk."""
    from django.utils import timezone

    from chorus.analytics.figures import settings_for
    from chorus.analytics.models import DirtyDay
    from chorus.analytics.rollups import rebuild
    from chorus.links.models import Conversion
    from chorus.sharing.models import Share
    from tests.factory import make_item, make_share

    now = timezone.now()
    share = make_share(member, make_item(org), network="linkedin")
    Share.objects.filter(pk=share.pk).update(status=Share.Status.PUBLISHED, published_at=now)
    Conversion.objects.create(org=org, kind="lead", occurred_at=now, ambassador=member)
    rebuild(org)
    settings_for(org.pk)
    DirtyDay.objects.get_or_create(org=org, day=now.date())


@dataclass
class Dataset:
    """What `make_dataset` made, for tests that compute figures from raw events."""

    people: list[Any] = field(default_factory=list)
    teams: list[Any] = field(default_factory=list)
    campaigns: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)


def make_dataset(
    org: Any, today: date, seed: int = 7, shares: int = 260, clicks: int = 1800
) -> Dataset:
    """A seeded organisation's history over ~5 months: teams, people with profiles and
    opt-in dates, campaigns of several objectives, items, published shares (and others
    that must not count), tracked links with human and bot clicks, and conversions."""
    from chorus.content.models import Objective
    from chorus.feed.models import Profile
    from chorus.links.ingest import rebuild_days
    from chorus.links.models import Click, Conversion, TrackedLink
    from chorus.orgs.models import Membership, Role
    from chorus.program.models import Participation
    from chorus.sharing.models import Share
    from tests.factory import make_campaign, make_item, make_team, make_user

    rng = random.Random(seed)
    data = Dataset()
    moment = datetime.combine(today, datetime.min.time(), UTC)
    existing = list(org.teams.all())
    data.teams = [*existing, make_team(org, "Engineering"), make_team(org, "Marketing")]
    for number in range(14):
        team = None if number % 7 == 6 else data.teams[number % len(data.teams)]
        member = Membership.objects.create(
            org=org, user=make_user(), role=Role.AMBASSADOR, team=team
        )
        status = rng.choice(["active"] * 8 + ["invited", "declined", "left"])
        opted = None
        if status in ("active", "left"):
            opted = moment - timedelta(days=rng.randint(0, 170), hours=rng.randint(0, 23))
        participation = Participation.objects.create(org=org, membership=member, status=status)
        Participation.objects.filter(pk=participation.pk).update(
            opted_in_at=opted,
            invited_at=(opted or moment) - timedelta(days=rng.randint(0, 20)),
        )
        data.people.append(member)
    # The test base's people too (their participations were made "now").
    for member in Membership.objects.filter(org=org).exclude(pk__in=[p.pk for p in data.people]):
        Participation.objects.filter(membership=member).update(
            opted_in_at=moment - timedelta(days=rng.randint(0, 120)),
            invited_at=moment - timedelta(days=130),
        )
        data.people.append(member)
    for member in data.people:
        if rng.random() < 0.85:
            networks = {
                network: {"size": rng.choice(SIZES), "who": ["peers"]}
                for network in rng.sample(NETWORKS[:4], rng.randint(1, 3))
            }
            Profile.objects.create(org=org, membership=member, networks=networks)
    data.campaigns = [
        make_campaign(org, "Launch", objective=Objective.AWARENESS),
        make_campaign(
            org, "Hiring", objective=Objective.RECRUITING, kpis=["clicks", "applications"]
        ),
        make_campaign(org, "Webinars", objective=Objective.LEAD_GENERATION),
        make_campaign(org, "Culture", objective=Objective.EMPLOYER_BRAND),
    ]
    for number in range(10):
        campaign = data.campaigns[number % 4] if number < 8 else None
        data.items.append(make_item(org, campaign=campaign))

    statuses = [Share.Status.PUBLISHED] * 9 + [Share.Status.FAILED, Share.Status.SCHEDULED]
    batch = []
    for _ in range(shares):
        member = rng.choice(data.people)
        status = rng.choice(statuses)
        published = moment + timedelta(hours=12) - timedelta(minutes=rng.randint(0, 150 * 24 * 60))
        batch.append(
            Share(
                org=org,
                membership=member,
                item=rng.choice(data.items),
                network=rng.choice(NETWORKS),
                method=rng.choice(["api", "intent"]),
                text="A post",
                status=status,
                published_at=published if status == Share.Status.PUBLISHED else None,
                originality=None if rng.random() < 0.1 else round(rng.random(), 2),
                near_duplicates=rng.choice([0, 0, 0, 1, 2]),
            )
        )
    # An anonymised share (the person left and asked for it).
    batch.append(
        Share(
            org=org,
            membership=None,
            item=data.items[0],
            network="linkedin",
            text="Anonymised",
            status=Share.Status.PUBLISHED,
            published_at=moment - timedelta(days=3),
            originality=0.9,
        )
    )
    Share.objects.bulk_create(batch)

    for member in data.people:
        for item in rng.sample(data.items, 3):
            network = rng.choice(NETWORKS[:4])
            data.links.append(
                TrackedLink.objects.create(
                    org=org,
                    ambassador=member,
                    item=item,
                    network=network,
                    url=item.url,
                    destination=item.url,
                    campaign=item.campaign,
                )
            )
    anonymous_link = TrackedLink.objects.create(
        org=org,
        ambassador=None,
        item=None,
        network="x",
        url="https://www.example.com/x",
        destination="https://www.example.com/x",
    )
    data.links.append(anonymous_link)
    visitors = [uuid.uuid4().hex for _ in range(300)]
    click_rows: list[Any] = []
    for _ in range(clicks):
        if click_rows and rng.random() < 0.25:
            # The same visitor comes back to the same link a little later.
            earlier = rng.choice(click_rows)
            link, visitor = earlier.link, earlier.visitor
            occurred = min(
                earlier.occurred_at + timedelta(minutes=rng.randint(1, 90)),
                moment + timedelta(hours=12),
            )
        else:
            link, visitor = rng.choice(data.links), rng.choice(visitors)
            occurred = (
                moment + timedelta(hours=12) - timedelta(minutes=rng.randint(0, 150 * 24 * 60))
            )
        click_rows.append(
            Click(
                org=org,
                link=link,
                event_id=uuid.uuid4().hex,
                occurred_at=occurred,
                visitor=visitor,
                is_bot=rng.random() < 0.2,
            )
        )
    Click.objects.bulk_create(click_rows)
    rebuild_days(
        {(click.link_id, click.occurred_at.astimezone(UTC).date()) for click in click_rows}
    )
    human = [click for click in click_rows if not click.is_bot]
    for number, click in enumerate(rng.sample(human, 40)):
        link = next(link for link in data.links if link.pk == click.link_id)
        Conversion.objects.create(
            org=org,
            kind=rng.choice(["lead", "lead", "signup", "purchase", "custom"]),
            value=rng.choice([None, Decimal("0"), Decimal("49.90"), Decimal("120.05")]),
            currency="EUR",
            external_id=f"crm-{number}",
            occurred_at=click.occurred_at + timedelta(minutes=rng.randint(1, 600)),
            click=click,
            link=link,
            ambassador_id=link.ambassador_id,
            item_id=link.item_id,
            campaign_id=link.campaign_id,
            network=link.network,
        )
    # A conversion attributed to nobody.
    Conversion.objects.create(
        org=org, kind="lead", value=Decimal("10.00"), occurred_at=moment - timedelta(days=2)
    )
    return data
