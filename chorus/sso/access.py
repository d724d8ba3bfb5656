"""Permission-checked getters for single sign-on objects: outsiders get 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from chorus.orgs.access import require_role
from chorus.orgs.models import Membership, Role
from chorus.sso.models import EmailDomain, IdentityProvider, ProviderKind


def get_oidc_provider(membership: Membership) -> IdentityProvider | None:
    """The organisation's OpenID Connect provider, if it has one; org admins only."""
    require_role(membership, Role.ORG_ADMIN)
    return IdentityProvider.objects.filter(org=membership.org, kind=ProviderKind.OIDC).first()


def get_domain(membership: Membership, domain_id: int) -> EmailDomain:
    """One of the organisation's e-mail domains; org admins only."""
    require_role(membership, Role.ORG_ADMIN)
    return get_object_or_404(EmailDomain, org=membership.org, pk=domain_id)


def get_saml_provider(membership: Membership) -> IdentityProvider | None:
    """The organisation's SAML 2.0 provider, if it has one; org admins only."""
    require_role(membership, Role.ORG_ADMIN)
    return IdentityProvider.objects.filter(org=membership.org, kind=ProviderKind.SAML).first()
