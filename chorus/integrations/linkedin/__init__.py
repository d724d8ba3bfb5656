"""LinkedIn: OAuth (tokens last 60 days, no refresh); publish; reaction and comment
counts when the member granted the scope that reads them."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations import oauth
from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration
from chorus.integrations.linkedin import client as linkedin
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})


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
)
