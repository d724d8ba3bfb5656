"""Demo tracked links for Acme: links people took for items, ready to share, and the
organisation's fallback address. Their clicks and conversions come with the shares of the
analytics demo (chorus/analytics/demo.py): a click always follows a share. Idempotent."""

from __future__ import annotations

import random

from chorus.content.models import ContentItem
from chorus.links.actions import link_for, link_settings
from chorus.links.models import TrackedLink
from chorus.orgs.models import Membership, Organization, Role


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
    links = []
    for index, ambassador in enumerate(ambassadors):
        for item in rng.sample(items, k=min(len(items), 2 + index % 3)):
            links.append(
                link_for(
                    ambassador, rng.choice(["linkedin", "x", "mastodon", "bluesky"]), item=item
                )
            )
    return len(links)
