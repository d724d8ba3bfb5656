"""How django-allauth's OpenID Connect support serves each organisation's identity provider.

Each organisation's `IdentityProvider` becomes an (unsaved) allauth `SocialApp` built on the
fly by `list_apps`, instead of a `SocialApp` row kept in step with ours: the secret stays
encrypted in one place (chorus.lib.crypto), a change on the settings page takes effect at
once, and allauth's own admin for apps (which would show the secret) is not needed. allauth
then runs the protocol: PKCE, state, the token exchange, the ID token's signature, issuer
and audience.

Chorus decides who gets in (`pre_social_login` → `chorus.sso.actions.do_sso_sign_in`): the
person arrives as an existing, connected user or is refused, so allauth's own sign-up flow
(and CHORUS_OPEN_SIGNUP) never applies to single sign-on.
"""

from __future__ import annotations

from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.http import HttpRequest
from django.shortcuts import render

from chorus.sso.actions import (
    SignInRefused,
    do_record_sign_in_error,
    do_sso_sign_in,
    merged_claims,
)
from chorus.sso.models import IdentityProvider, ProviderKind
from chorus.sso.oidc import guarded_session

OPENID_CONNECT = "openid_connect"


def social_app(provider: IdentityProvider) -> SocialApp:
    """The allauth app for an organisation's OpenID Connect provider (never saved)."""
    return SocialApp(
        provider=OPENID_CONNECT,
        provider_id=provider.provider_id,
        name=provider.name,
        client_id=provider.client_id,
        secret=provider.client_secret,
        settings={
            "server_url": provider.issuer_url,
            "oauth_pkce_enabled": True,
        },
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: Any = None, client_id: Any = None
    ) -> list[SocialApp]:
        """The usable OpenID Connect providers of all organisations, as allauth apps."""
        providers = IdentityProvider.objects.usable().filter(kind=ProviderKind.OIDC)
        if provider and provider != OPENID_CONNECT:
            providers = providers.filter(provider_id=provider)
        if client_id:
            providers = providers.filter(client_id=client_id)
        return [social_app(row) for row in providers.order_by("pk")]

    def get_requests_session(self) -> requests.Session:
        """Every request to a provider goes through the SSRF guard (chorus.sso.oidc)."""
        return guarded_session(super().get_requests_session())

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Let the person in as who the claims say, or show why not."""
        provider = (
            IdentityProvider.objects.select_related("org")
            .filter(provider_id=sociallogin.account.provider)
            .first()
        )
        if provider is None:
            raise ImmediateHttpResponse(_refused(request, None, "unknown_provider"))
        claims = merged_claims(sociallogin.account.extra_data or {})
        try:
            user = do_sso_sign_in(provider, claims)
        except SignInRefused as refusal:
            raise ImmediateHttpResponse(_refused(request, provider, refusal.reason)) from None
        if sociallogin.is_existing:
            if sociallogin.user.pk != user.pk:
                # The provider's person now carries another account's e-mail address.
                raise ImmediateHttpResponse(_refused(request, provider, "account_mismatch"))
            return
        sociallogin.user = user
        sociallogin.save(request, connect=True)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """Record failed sign-ins (refused at the provider, bad token) in the org's log."""
        app = getattr(provider, "app", None)
        row = IdentityProvider.objects.select_related("org").filter(
            provider_id=getattr(app, "provider_id", None)
        )
        identity_provider = row.first()
        if identity_provider is not None:
            do_record_sign_in_error(identity_provider, str(error or ""), str(exception or ""))


def _refused(request: HttpRequest, provider: IdentityProvider | None, reason: str) -> Any:
    return render(request, "sso/refused.html", {"provider": provider, "reason": reason}, status=403)
