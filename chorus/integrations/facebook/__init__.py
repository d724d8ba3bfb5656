"""Facebook: share intents only (its page takes only the link)."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration
from chorus.lib.networks import Network


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})


integration = Integration(
    key=Network.FACEBOOK.value,
    label=Network.FACEBOOK.label,
    intent=intent,
    url_only=True,
    length_rule="facebook",
    link_network=Network.FACEBOOK.value,
)
