"""Bluesky: publish with an app password on the person's PDS; counts through an AppView."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from chorus.integrations.base import Credentials
from chorus.integrations.bluesky import client as bluesky
from chorus.integrations.bluesky.connect import BlueskyConnect
from chorus.integrations.capabilities import Integration
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://bsky.app/intent/compose?" + urlencode({"text": text})


def measures() -> bool:
    # Counts are read from an AppView, which this server may not name.
    return bool(settings.CHORUS_BLUESKY_APPVIEW_URL)


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
)
