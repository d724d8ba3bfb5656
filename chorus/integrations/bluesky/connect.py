"""Connecting Bluesky: the person gives an app password, checked at once on their PDS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.integrations.bluesky.client import DEFAULT_PDS, client
from chorus.integrations.capabilities import Connected, ConnectFlow, Consent, ServerApps


class BlueskyForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Handle or e-mail"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    app_password = forms.CharField(
        label=gettext_lazy("App password"),
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "Create one in Bluesky: Settings → Privacy and security → App passwords. "
            "Never your main password."
        ),
    )
    pds = forms.URLField(
        label=gettext_lazy("Server"),
        required=False,
        initial="https://bsky.social",
        help_text=gettext_lazy("Leave as is unless your account lives on another server."),
    )


class BlueskyConnect(ConnectFlow):
    order = 10
    form_class = BlueskyForm
    refusal_on_form = True

    def refused(self, reason: str) -> str:
        return _("Bluesky refused: %(reason)s") % {"reason": reason}

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        credentials = {
            "pds": (data["pds"] or DEFAULT_PDS).rstrip("/"),
            "identifier": data["identifier"].strip().lstrip("@"),
            "app_password": data["app_password"],
        }
        return Connected(client.verify(credentials), credentials)
