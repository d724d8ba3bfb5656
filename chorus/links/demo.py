"""Demo tracked links for Acme: links shared over the last weeks, clicks from people and
bots, daily rollups and a few attributed conversions. Idempotent."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from chorus.content.models import ContentItem
from chorus.links.actions import link_for, link_settings
from chorus.links.ingest import rebuild_days
from chorus.links.models import Click, Conversion, TrackedLink
from chorus.orgs.models import Membership, Organization, Role

DEVICES = ["mobile"] * 6 + ["desktop"] * 3 + ["tablet"]
REFERRERS = ["linkedin.com", "t.co", "mastodon.social", "bsky.app", ""]
BOTS = ["crawler list: LinkedInBot", "crawler list: Twitterbot", "crawler list: Mastodon"]


def load_links_demo(org: Organization, rng: random.Random) -> int:
    if TrackedLink.objects.filter(org=org).exists():
        return 0
    options = link_settings(org)
    options.fallback_url = "https://www.acme.example/"
    options.save(update_fields=["fallback_url"])
    ambassadors = list(
        Membership.objects.filter(
            org=org, role=Role.AMBASSADOR, participation__status="active"
        ).order_by("id")[:15]
    )
    items = list(
        ContentItem.objects.shareable().filter(org=org).exclude(url="").order_by("id")[:20]
    )
    now = timezone.now()
    clicks: list[Click] = []
    links = []
    for index, ambassador in enumerate(ambassadors):
        for item in rng.sample(items, k=min(len(items), 2 + index % 3)):
            link = link_for(
                ambassador, rng.choice(["linkedin", "x", "mastodon", "bluesky"]), item=item
            )
            links.append(link)
            for _ in range(rng.randint(0, 25)):
                bot = rng.random() < 0.25
                clicks.append(
                    Click(
                        org=org,
                        link=link,
                        event_id=uuid.uuid4().hex,
                        occurred_at=now - timedelta(days=rng.random() * 28),
                        visitor=uuid.uuid4().hex,
                        is_bot=bot,
                        bot_reason=rng.choice(BOTS) if bot else "",
                        device="bot" if bot else rng.choice(DEVICES),
                        referrer_domain=rng.choice(REFERRERS),
                    )
                )
    Click.objects.bulk_create(clicks)
    rebuild_days({(click.link_id, click.occurred_at.date()) for click in clicks})
    human = [click for click in clicks if not click.is_bot]
    for number, click in enumerate(rng.sample(human, k=min(12, len(human)))):
        link = next(link for link in links if link.pk == click.link_id)
        Conversion.objects.create(
            org=org,
            kind=rng.choice(["lead", "signup", "lead", "purchase"]),
            value=Decimal(rng.choice([0, 0, 49, 120, 990])),
            currency="EUR",
            external_id=f"demo-crm-{number}",
            occurred_at=click.occurred_at + timedelta(hours=3),
            click=click,
            link=link,
            ambassador_id=link.ambassador_id,
            item_id=link.item_id,
            campaign_id=link.campaign_id,
            network=link.network,
        )
    return len(links) + len(clicks)
