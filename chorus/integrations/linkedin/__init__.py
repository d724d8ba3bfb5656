"""LinkedIn: OAuth (tokens last 60 days, no refresh); publish; reaction and comment
counts when the member granted the scope that reads them."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations import oauth
from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration, MediaLimits
from chorus.integrations.linkedin import client as linkedin
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})


# Images API: JPG, GIF, PNG of at most 36,152,320 pixels; a post carries one image
# (content.media) or 2 to 20 (content.multiImage); alt text up to 4,086 characters
# (learn.microsoft.com/linkedin/marketing/community-management/shares/images-api,
# multiimage-post-api). LinkedIn gives no byte limit for images; 8 MB keeps uploads
# quick on its upload host.
MEDIA = MediaLimits(
    max_images=20,
    max_bytes=8 * 1024 * 1024,
    max_side=6012,
    formats=frozenset({"JPEG", "PNG", "GIF"}),
    max_alt=4086,
    source="https://learn.microsoft.com/linkedin/marketing/community-management/shares/images-api",
)

integration = Integration(
    key=Network.LINKEDIN.value,
    label=Network.LINKEDIN.label,
    intent=intent,
    url_only=True,
    client=linkedin.client,
    # No idempotency key and no way to list a member's posts: the person looks.
    reconcile="ask",
    metrics=linkedin.client,
    connect=oauth.CodeFlow(linkedin.client, order=30),
    warn_before_expiry=True,
    length_rule="linkedin",
    link_network=Network.LINKEDIN.value,
    media=MEDIA,
)
