"""An organisation's single sign-on: its identity providers, e-mail domains and rules.

- `IdentityProvider`: one per organisation and `kind`: OpenID Connect or SAML 2.0 (the
  latter's IdP metadata in its own `saml_*` fields), so the organisation's rules
  (`SSOSettings`) and its domains serve both.
- `EmailDomain`: a domain the organisation claims. Only a *verified* domain lets the
  identity provider create accounts; a domain is verified for one organisation at most.
- `SSOSettings`: whether members must use single sign-on, and the break-glass admin who
  may still use a password.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.lib.crypto import decrypt, encrypt
from chorus.orgs.models import Membership, Organization, Role


class ProviderKind(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


# The role a claim value gives, from the highest; any other value (or none) gives ambassador.
MAPPED_ROLES = (Role.ORG_ADMIN, Role.PROGRAM_MANAGER, Role.TEAM_MANAGER)


class IdentityProviderQuerySet(models.QuerySet["IdentityProvider"]):
    def usable(self) -> IdentityProviderQuerySet:
        """Enabled, and checked once: its discovery document (OpenID Connect) or its IdP
        metadata (SAML) is known."""
        return self.filter(enabled=True, checked_at__isnull=False)


class IdentityProvider(models.Model):
    """Where an organisation's people sign in (their company's identity provider)."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identity_providers"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ProviderKind.choices, default=ProviderKind.OIDC
    )
    # The address part of our callback URL (/accounts/oidc/<provider_id>/login/callback/),
    # or of our SAML ACS and SP metadata URLs (/accounts/saml/<provider_id>/acs/,
    # /sso/<provider_id>/metadata/), which the company registers at its provider: it never
    # changes once made. "org-<slug>" for OpenID Connect, "saml-<slug>" for SAML.
    provider_id = models.SlugField(max_length=80, unique=True)
    name = models.CharField(
        _("name shown on the sign-in button"),
        max_length=80,
        help_text=_('People see "Sign in with <name>", e.g. "Sign in with Acme Okta".'),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # OpenID Connect only (empty for SAML).
    issuer_url = models.URLField(
        _("issuer URL"),
        max_length=500,
        blank=True,
        help_text=_("The provider's issuer, e.g. https://login.example.com/realms/acme."),
    )
    client_id = models.CharField(_("client ID"), max_length=255, blank=True)
    # A Fernet token (chorus.lib.crypto): the database never holds the secret itself.
    client_secret_encrypted = models.TextField(blank=True)
    # The provider's discovery document (/.well-known/openid-configuration) as last checked.
    discovery = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # SAML only: where the IdP metadata comes from (a URL, fetched through the SSRF guard, or
    # an uploaded file, kept in saml_metadata_xml either way) and what Chorus read from it.
    saml_metadata_url = models.URLField(_("IdP metadata URL"), max_length=500, blank=True)
    saml_metadata_xml = models.TextField(blank=True)
    saml_entity_id = models.CharField(_("IdP entity ID"), max_length=500, blank=True)
    saml_sso_url = models.URLField(_("IdP sign-in URL"), max_length=500, blank=True)
    # The IdP's signing certificate (base64 DER, as in the metadata): assertions must carry
    # a signature it verifies.
    saml_x509cert = models.TextField(blank=True)
    team_claim = models.CharField(
        _("team claim"),
        max_length=100,
        blank=True,
        help_text=_(
            "The claim naming the person's team, e.g. department or groups; the first value "
            "that names one of your teams is used. Empty: teams are not set by sign-in."
        ),
    )
    role_claim = models.CharField(
        _("role claim"),
        max_length=100,
        blank=True,
        help_text=_("The claim whose value gives the role, e.g. groups. Empty: ambassador."),
    )
    # {role: claim value}, for the roles in MAPPED_ROLES.
    role_values = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdentityProviderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "kind"], name="identity_provider_one_per_kind")
        ]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return self.name

    @property
    def client_secret(self) -> str:
        return decrypt(self.client_secret_encrypted) if self.client_secret_encrypted else ""

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = encrypt(value) if value else ""

    def role_for(self, claims: dict[str, Any]) -> str:
        """The role the claims give: the highest mapped role whose value they carry."""
        if not self.role_claim:
            return Role.AMBASSADOR
        values = claim_values(claims, self.role_claim)
        for role in MAPPED_ROLES:
            wanted = (self.role_values or {}).get(role, "")
            if wanted and wanted in values:
                return role
        return Role.AMBASSADOR


def claim_values(claims: dict[str, Any], name: str) -> list[str]:
    """A claim's values as a list of strings (a claim may be one string or a list)."""
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int)]
    if isinstance(value, str | int):
        return [str(value)]
    return []


class EmailDomainQuerySet(models.QuerySet["EmailDomain"]):
    def verified(self) -> EmailDomainQuerySet:
        return self.filter(verified_at__isnull=False)

    def pending(self) -> EmailDomainQuerySet:
        return self.filter(verified_at__isnull=True)


class EmailDomain(models.Model):
    """An e-mail domain an organisation claims; verified by an instance operator.

    Why an operator confirms instead of a DNS TXT record: Chorus is run by an operator for
    a few known organisations (a company's own instance, or a provider's customers under
    contract), who can confirm ownership out of band, and a DNS check needs the network at
    sign-up and in tests (none here). A verified domain is what lets an organisation's
    identity provider create accounts, so claiming one must not be self-service: an admin
    who could verify gmail.com would let their provider sign in as anyone there.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(_("domain"), max_length=253)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = EmailDomainQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["org", "domain"], name="email_domain_once_per_org"),
            # Another organisation's verified domain never joins this one.
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(verified_at__isnull=False),
                name="email_domain_verified_once",
            ),
        ]
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class SSOSettings(models.Model):
    """Whether an organisation's members must sign in through its identity provider."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso_settings")
    require_sso = models.BooleanField(
        _("require single sign-on"),
        default=False,
        help_text=_("Members' passwords stop working; they sign in with the identity provider."),
    )
    # The one admin whose password still works when single sign-on is required, for the
    # day the identity provider is down or misconfigured; each such sign-in is audited.
    break_glass = models.ForeignKey(
        Membership,
        verbose_name=_("break-glass admin"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("single sign-on settings")
        verbose_name_plural = _("single sign-on settings")

    def __str__(self) -> str:
        return f"single sign-on of {self.org}"


def email_domain(email: str) -> str:
    """The domain part of an e-mail address, lower case ('' if there is none)."""
    _local, at, domain = email.strip().lower().rpartition("@")
    return domain if at else ""
