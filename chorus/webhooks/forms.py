"""Forms for webhook endpoints; the API validates its input with the same forms."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.lib.safe_fetch import is_public_address
from chorus.webhooks.events import EVENT_TYPES

# Names that only ever mean "this network"; other names are checked when delivering.
LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def validate_endpoint_url(url: str) -> None:
    """Refuse what can never be a public receiver: not http(s), credentials in the URL, a
    private or loopback address. The SSRF guard checks each delivery's resolved address too."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."))
    if parts.username or parts.password:
        raise ValidationError(_("Leave credentials out of the address."))
    if settings.CHORUS_ALLOW_PRIVATE_URLS:
        return
    host = parts.hostname.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(LOCAL_NAMES):
            raise ValidationError(_("This address is not on the public internet.")) from None
        return
    if not is_public_address(host):
        raise ValidationError(_("This address is not on the public internet."))


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_endpoint_url],
        help_text=gettext_lazy("Where Chorus sends the events, e.g. https://example.com/hooks."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        # Kept in the documented order, whatever order they came in.
        return [event for event in EVENT_TYPES if event in chosen]


def endpoint_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """API input as form data (a missing list stays missing, so the form says it is needed)."""
    return {key: value for key, value in values.items() if value is not None}
