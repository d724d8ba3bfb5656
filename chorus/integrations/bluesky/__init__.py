"""Bluesky: publish with an app password on the person's PDS; counts through an AppView."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from chorus.integrations.base import BOOST, LIKE, REPLY, Credentials
from chorus.integrations.bluesky import client as bluesky
from chorus.integrations.bluesky.connect import BlueskyConnect
from chorus.integrations.capabilities import Integration, MediaLimits
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://bsky.app/intent/compose?" + urlencode({"text": text})


def measures() -> bool:
    # Counts are read from an AppView, which this server may not name.
    return bool(settings.CHORUS_BLUESKY_APPVIEW_URL)


# app.bsky.embed.images: 4 images of at most 1,000,000 bytes each (its lexicon's
# maxLength and maxSize); Bluesky's app scales photos to 2,000 px and caps alt text at
# 2,000 characters.
MEDIA = MediaLimits(
    max_images=4,
    max_bytes=1_000_000,
    max_side=2000,
    formats=frozenset({"JPEG", "PNG", "WEBP"}),
    max_alt=2000,
    source="https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/images.json",
)

integration = Integration(
    key=Network.BLUESKY.value,
    label=Network.BLUESKY.label,
    intent=intent,
    client=bluesky.client,
    reconcile="look",
    metrics=bluesky.client,
    measures=measures,
    connect=BlueskyConnect(),
    length_rule="bluesky",
    link_network=Network.BLUESKY.value,
    media=MEDIA,
    engager=bluesky.client,
    engages=frozenset({LIKE, BOOST, REPLY}),
)
