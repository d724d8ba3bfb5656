"""X: OAuth 2.0 with PKCE (tokens refresh themselves); publish; public metrics."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations import oauth
from chorus.integrations.base import BOOST, LIKE, Credentials
from chorus.integrations.capabilities import Integration, MediaLimits
from chorus.integrations.x import client as x
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    # The link is already in the text; X shortens it and counts it as 23.
    return "https://x.com/intent/tweet?" + urlencode({"text": text})


def engage_intent(post_url: str, action: str, text: str) -> str:
    """X's web intents for an existing post (like, repost, reply with the text filled)."""
    post_id = post_url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if not post_id.isdigit():
        return post_url
    if action == LIKE:
        return "https://x.com/intent/like?" + urlencode({"tweet_id": post_id})
    if action == BOOST:
        return "https://x.com/intent/retweet?" + urlencode({"tweet_id": post_id})
    return "https://x.com/intent/tweet?" + urlencode({"in_reply_to": post_id, "text": text})


# POST /2/media/upload: images (JPEG, PNG, WebP, GIF) of at most 5 MB; 4 a post; alt
# text through POST /2/media/metadata, at most 1,000 characters
# (docs.x.com/x-api/media/upload-media, x-api/media/metadata-create).
MEDIA = MediaLimits(
    max_images=4,
    max_bytes=5 * 1024 * 1024,
    max_side=4096,
    formats=frozenset({"JPEG", "PNG", "WEBP"}),
    max_alt=1000,
    source="https://docs.x.com/x-api/media/upload-media",
)

integration = Integration(
    key=Network.X.value,
    label=Network.X.label,
    intent=intent,
    client=x.client,
    reconcile="look",
    metrics=x.client,
    connect=oauth.CodeFlow(x.client, order=40, pkce=True),
    length_rule="x",
    link_network=Network.X.value,
    media=MEDIA,
    engage_intent=engage_intent,
)
