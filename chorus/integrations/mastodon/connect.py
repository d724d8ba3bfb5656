"""Connecting Mastodon: the person names their server; Chorus registers itself there
once (an OAuth application per server), then the server asks the person's consent."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.integrations.base import PublishError
from chorus.integrations.capabilities import Connected, ConnectFlow, Consent, ServerApps
from chorus.integrations.mastodon.client import SCOPES, client, normalize_instance_url


class MastodonForm(forms.Form):
    instance = forms.CharField(
        label=gettext_lazy("Your server"),
        max_length=255,
        help_text=gettext_lazy("For example mastodon.social, or your full handle @you@server."),
    )


class MastodonConnect(ConnectFlow):
    order = 20
    form_class = MastodonForm
    sends_back = True

    def invalid(self) -> str | None:
        return _("Give your Mastodon server.")

    def refused_at_start(self, reason: str) -> str:
        return _("That Mastodon server did not answer: %(reason)s") % {"reason": reason}

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        instance = normalize_instance_url(data["instance"])
        app = apps.get(instance)
        # An app registered for fewer scopes (before images and engagement) cannot ask
        # for the new ones: register it again.
        if app is None or app.get("redirect_uri") != redirect_uri or app.get("scopes") != SCOPES:
            app = {
                **client.register_app(instance, redirect_uri),
                "redirect_uri": redirect_uri,
                "scopes": SCOPES,
            }
            apps.save(instance, app)
        target = client.authorize_url(instance, app["client_id"], redirect_uri, state)
        return Consent(target, {"instance": instance})

    def finish(
        self, pending: dict[str, str], code: str, redirect_uri: str, apps: ServerApps
    ) -> Connected:
        instance = pending["instance"]
        app = apps.get(instance)
        if app is None:
            raise Http404
        credentials = client.exchange_code(
            instance, app["client_id"], app["client_secret"], redirect_uri, code
        )
        account = client.verify(credentials)
        with contextlib.suppress(PublishError):  # else the default limit applies
            credentials["max_characters"] = client.instance_limits(instance)[0]
        return Connected(account, credentials)
