"""E-mail: a mailto: address with the text as the body."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from chorus.integrations.base import Credentials
from chorus.integrations.capabilities import Integration


def intent(text: str, url: str, credentials: Credentials) -> str:
    # RFC 6068: percent-encoded, CRLF line breaks.
    body = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:?body={quote(body, safe='')}"


# Links shared by e-mail count under "facebook", as they always have.
integration = Integration(key="email", label=_("E-mail"), intent=intent)
