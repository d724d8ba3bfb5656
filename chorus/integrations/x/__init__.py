"""X: OAuth 2.0 with PKCE (tokens refresh themselves); publish; public metrics."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chorus.integrations import oauth
from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import (
    Connected,
    ConnectFlow,
    Consent,
    Integration,
    ServerApps,
)
from chorus.integrations.x import client as x
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    # The link is already in the text; X shortens it and counts it as 23.
    return "https://x.com/intent/tweet?" + urlencode({"text": text})


class XConnect(ConnectFlow):
    order = 40
    sends_back = True

    def enabled(self) -> bool:
        return x.client.is_enabled()

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        verifier = oauth.new_code_verifier()
        target = x.client.authorize_url(redirect_uri, state, oauth.code_challenge(verifier))
        return Consent(target, {"verifier": verifier})

    def finish(
        self, pending: dict[str, str], code: str, redirect_uri: str, apps: ServerApps
    ) -> Connected:
        credentials = x.client.exchange_code(code, redirect_uri, pending["verifier"])
        return Connected(x.client.verify(credentials), credentials)


integration = Integration(
    key=Network.X.value,
    label=Network.X.label,
    intent=intent,
    client=x.client,
    reconcile="look",
    metrics=x.client,
    connect=XConnect(),
    length_rule="x",
    link_network=Network.X.value,
)
