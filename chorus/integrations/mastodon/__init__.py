"""Mastodon: OAuth on the person's own server; publish, deduplicated by Idempotency-Key;
counts read back status by status."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations.base import BOOST, LIKE, REPLY, Credentials
from chorus.integrations.capabilities import Integration, MediaLimits
from chorus.integrations.mastodon import client as mastodon
from chorus.integrations.mastodon.connect import MastodonConnect
from chorus.lib.networks import Network

DEFAULT_SHARE_SERVER = "https://mastodon.social"


def intent(text: str, url: str, credentials: Credentials) -> str:
    # The share page of the person's own server when they connected one.
    host = str(credentials.get("instance") or DEFAULT_SHARE_SERVER)
    return f"{host.rstrip('/')}/share?" + urlencode({"text": text})


# POST /api/v2/media: JPEG, PNG, GIF, WebP up to 16 MB and 8.3 megapixels (3840 by 2160,
# larger ones are scaled down by the server); 4 attachments a status; a description of
# at most 1,500 characters (docs.joinmastodon.org/methods/media, /user/posting).
MEDIA = MediaLimits(
    max_images=4,
    max_bytes=16 * 1024 * 1024,
    max_side=3840,
    formats=frozenset({"JPEG", "PNG", "GIF", "WEBP"}),
    max_alt=1500,
    source="https://docs.joinmastodon.org/methods/media/",
)

integration = Integration(
    key=Network.MASTODON.value,
    label=Network.MASTODON.label,
    intent=intent,
    client=mastodon.client,
    # The server answers a repeated Idempotency-Key with the status it already made.
    reconcile="resend",
    metrics=mastodon.client,
    connect=MastodonConnect(),
    length_rule="mastodon",
    link_network=Network.MASTODON.value,
    media=MEDIA,
    engager=mastodon.client,
    engages=frozenset({LIKE, BOOST, REPLY}),
)
