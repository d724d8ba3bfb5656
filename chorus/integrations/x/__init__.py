"""X: OAuth 2.0 with PKCE (tokens refresh themselves); publish; public metrics."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations import oauth
from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration
from chorus.integrations.x import client as x
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    # The link is already in the text; X shortens it and counts it as 23.
    return "https://x.com/intent/tweet?" + urlencode({"text": text})


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
)
