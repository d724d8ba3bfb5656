"""LinkedIn: OAuth (tokens last 60 days, no refresh); publish; reaction and comment
counts when the member granted the scope that reads them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import (
    Connected,
    ConnectFlow,
    Consent,
    Integration,
    ServerApps,
)
from chorus.integrations.linkedin import client as linkedin
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})


class LinkedInConnect(ConnectFlow):
    order = 30
    sends_back = True

    def enabled(self) -> bool:
        return linkedin.client.is_enabled()

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        return Consent(linkedin.client.authorize_url(redirect_uri, state), {})

    def finish(
        self, pending: dict[str, str], code: str, redirect_uri: str, apps: ServerApps
    ) -> Connected:
        credentials = linkedin.client.exchange_code(code, redirect_uri)
        return Connected(linkedin.client.verify(credentials), credentials)


integration = Integration(
    key=Network.LINKEDIN.value,
    label=Network.LINKEDIN.label,
    intent=intent,
    url_only=True,
    client=linkedin.client,
    # No idempotency key and no way to list a member's posts: the person looks.
    reconcile="ask",
    metrics=linkedin.client,
    connect=LinkedInConnect(),
    warn_before_expiry=True,
    length_rule="linkedin",
    link_network=Network.LINKEDIN.value,
)
