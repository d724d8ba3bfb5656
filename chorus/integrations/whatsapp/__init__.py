"""WhatsApp: a share intent with the text (and its link)."""

from __future__ import annotations

from urllib.parse import urlencode

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://wa.me/?" + urlencode({"text": text})


# Links shared through messaging count under "facebook", as they always have.
integration = Integration(key="whatsapp", label="WhatsApp", intent=intent)
