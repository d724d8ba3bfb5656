"""How django-allauth's OpenID Connect and SAML support serve each organisation's identity provider.

Each organisation's `IdentityProvider` becomes an (unsaved) allauth `SocialApp` built on the
fly by `list_apps`, instead of a `SocialApp` row kept in step with ours: the secret stays
encrypted in one place (chorus.lib.crypto), a change on the settings page takes effect at
once, and allauth's own admin for apps (which would show the secret) is not needed. allauth
then runs the protocol: PKCE, state, the token exchange, the ID token's signature, issuer
and audience; for SAML (python3-saml), the assertion's signature, audience, destination,
validity window and InResponseTo (chorus.sso.saml says which settings).

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
from django.db.models import Q
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
from chorus.sso.saml import SAML, app_settings, saml_claims

OPENID_CONNECT = "openid_connect"


def social_app(provider: IdentityProvider, request: HttpRequest | None = None) -> SocialApp:
    """The allauth app for an organisation's provider (never saved).

    A SAML app's client_id is our provider_id: allauth's SAML addresses carry it
    (/accounts/saml/<provider_id>/acs/).
    """
    if provider.kind == ProviderKind.SAML:
        return SocialApp(
            provider=SAML,
            provider_id=provider.provider_id,
            name=provider.name,
            client_id=provider.provider_id,
            settings=app_settings(provider, request),
        )
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
        """The usable providers of all organisations, as allauth apps."""
        providers = IdentityProvider.objects.usable()
        if provider == OPENID_CONNECT:
            providers = providers.filter(kind=ProviderKind.OIDC)
        elif provider == SAML:
            providers = providers.filter(kind=ProviderKind.SAML)
        elif provider:
            providers = providers.filter(provider_id=provider)
        if client_id:
            providers = providers.filter(
                Q(kind=ProviderKind.OIDC, client_id=client_id)
                | Q(kind=ProviderKind.SAML, provider_id=client_id)
            )
        return [social_app(row, request) for row in providers.order_by("pk")]

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
        if provider.kind == ProviderKind.SAML:
            claims = saml_claims(sociallogin.account.extra_data or {}, sociallogin.user)
        else:
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
        """Record failed sign-ins (refused at the provider, bad token or assertion) in the
        org's log; for SAML, python3-saml's reason (bad signature, wrong audience, expired)."""
        app = getattr(provider, "app", None)
        row = IdentityProvider.objects.select_related("org").filter(
            provider_id=getattr(app, "provider_id", None)
        )
        identity_provider = row.first()
        if identity_provider is not None:
            detail = str(exception or "") or str(
                (extra_context or {}).get("saml_last_error_reason") or ""
            )
            do_record_sign_in_error(identity_provider, str(error or ""), detail)


def _refused(request: HttpRequest, provider: IdentityProvider | None, reason: str) -> Any:
    return render(request, "sso/refused.html", {"provider": provider, "reason": reason}, status=403)
