"""Actions on an organisation's single sign-on: one transaction each, audited.

Sign-in by SSO (`do_sso_sign_in`) lets a person in only when the identity provider vouches
for their e-mail address (`email_verified`) and its domain is one this organisation verified;
it then creates the account and the membership just in time, with the team and role the
claims give. It never enrols anyone in the ambassador programme: joining stays voluntary.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.orgs.actions import add_person, audit, check_keeps_an_admin
from chorus.orgs.models import Membership, Organization, Team
from chorus.sso.models import (
    MAPPED_ROLES,
    EmailDomain,
    IdentityProvider,
    ProviderKind,
    SSOSettings,
    claim_values,
    email_domain,
)
from chorus.sso.oidc import Discovery, DiscoveryError, check_discovery
from chorus.sso.saml import IdPMetadata, MetadataError, fetch_metadata, parse_metadata

DOMAIN_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# --- Configuration by the organisation's admin ---


@transaction.atomic
def do_save_provider(
    actor: Membership,
    provider: IdentityProvider | None,
    *,
    name: str,
    issuer_url: str,
    client_id: str,
    client_secret: str,
    enabled: bool,
    team_claim: str,
    role_claim: str,
    role_values: dict[str, str],
) -> IdentityProvider:
    """Create or change the organisation's OpenID Connect provider.

    An empty `client_secret` keeps the stored one. A new issuer must be checked again
    (`do_check_provider`) before anyone can sign in through it.
    """
    org = actor.org
    if provider is None:
        if not client_secret:
            raise ValidationError(_("Enter the client secret."))
        provider = IdentityProvider(org=org, kind=ProviderKind.OIDC, provider_id=f"org-{org.slug}")
        before: dict[str, Any] = {}
    else:
        provider = IdentityProvider.objects.select_for_update().get(pk=provider.pk, org=org)
        before = _provider_values(provider)
    issuer_url = issuer_url.strip()
    if provider.pk is not None and issuer_url != provider.issuer_url:
        provider.checked_at = None
        provider.discovery = {}
    provider.name = name.strip()
    provider.issuer_url = issuer_url
    provider.client_id = client_id.strip()
    provider.enabled = enabled
    provider.team_claim = team_claim.strip()
    provider.role_claim = role_claim.strip()
    provider.role_values = {
        role: value.strip() for role, value in role_values.items() if role in MAPPED_ROLES
    }
    secret_changed = bool(client_secret) and client_secret != provider.client_secret
    if secret_changed:
        provider.client_secret = client_secret
    created = provider.pk is None
    provider.save()
    after = _provider_values(provider)
    changes = _changes(before, after)
    if secret_changed:
        # The audit log says that the secret changed, never what it is.
        changes["client_secret"] = [None if created else "•••", "•••"]
    if changes:
        audit(
            org,
            actor.user,
            "sso.provider.create" if created else "sso.provider.change",
            provider,
            changes,
        )
    return provider


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the audit log."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


def _provider_values(provider: IdentityProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "issuer_url": provider.issuer_url,
        "client_id": provider.client_id,
        "enabled": provider.enabled,
        "team_claim": provider.team_claim,
        "role_claim": provider.role_claim,
        **{
            f"role_value_{role}": (provider.role_values or {}).get(role, "")
            for role in MAPPED_ROLES
        },
    }


def do_check_provider(actor: Membership, provider: IdentityProvider) -> Discovery:
    """Fetch the provider's discovery document (through the SSRF guard), keep it, audit.

    The fetch happens outside any transaction; raises DiscoveryError when it fails, after
    recording the failure.
    """
    try:
        discovery = check_discovery(provider.issuer_url)
    except DiscoveryError as error:
        with transaction.atomic():
            audit(
                actor.org,
                actor.user,
                "sso.provider.check",
                provider,
                {"result": [None, "failed"], "reason": [None, str(error)[:200]]},
            )
        raise
    with transaction.atomic():
        IdentityProvider.objects.filter(pk=provider.pk, issuer_url=provider.issuer_url).update(
            discovery=discovery.document, checked_at=timezone.now()
        )
        audit(actor.org, actor.user, "sso.provider.check", provider, {"result": [None, "ok"]})
    return discovery


def read_saml_metadata(metadata_url: str, upload: bytes | None) -> IdPMetadata:
    """The IdP metadata an admin gave: an uploaded file, else fetched from the URL (through
    the SSRF guard; call it outside any transaction). Raises MetadataError."""
    if upload:
        return parse_metadata(upload)
    if not metadata_url:
        raise MetadataError(_("Give the IdP metadata URL or upload its metadata file."))
    return fetch_metadata(metadata_url)


@transaction.atomic
def do_save_saml_provider(
    actor: Membership,
    provider: IdentityProvider | None,
    *,
    name: str,
    metadata_url: str,
    metadata: IdPMetadata | None,
    enabled: bool,
    team_claim: str,
    role_claim: str,
    role_values: dict[str, str],
) -> IdentityProvider:
    """Create or change the organisation's SAML 2.0 identity provider.

    `metadata` (read by `read_saml_metadata`) replaces the IdP's entity ID, sign-in URL and
    signing certificate; None keeps them (a new provider needs it).
    """
    org = actor.org
    if provider is None:
        if metadata is None:
            raise ValidationError(_("Give the IdP metadata URL or upload its metadata file."))
        provider = IdentityProvider(org=org, kind=ProviderKind.SAML, provider_id=f"saml-{org.slug}")
        before: dict[str, Any] = {}
    else:
        provider = IdentityProvider.objects.select_for_update().get(
            pk=provider.pk, org=org, kind=ProviderKind.SAML
        )
        before = _saml_values(provider)
    provider.name = name.strip()
    provider.saml_metadata_url = metadata_url.strip()
    provider.enabled = enabled
    provider.team_claim = team_claim.strip()
    provider.role_claim = role_claim.strip()
    provider.role_values = {
        role: value.strip() for role, value in role_values.items() if role in MAPPED_ROLES
    }
    if metadata is not None:
        _set_metadata(provider, metadata)
    created = provider.pk is None
    provider.save()
    after = _saml_values(provider)
    changes = _changes(before, after)
    if changes:
        audit(
            org,
            actor.user,
            "sso.provider.create" if created else "sso.provider.change",
            provider,
            changes,
        )
    return provider


def _set_metadata(provider: IdentityProvider, metadata: IdPMetadata) -> None:
    provider.saml_metadata_xml = metadata.xml
    provider.saml_entity_id = metadata.entity_id
    provider.saml_sso_url = metadata.sso_url
    provider.saml_x509cert = metadata.x509cert
    provider.checked_at = timezone.now()


def certificate_fingerprint(certificate: str) -> str:
    """The SHA-256 fingerprint of a base64 DER certificate (what the audit log shows)."""
    if not certificate:
        return ""
    digest = hashlib.sha256(base64.b64decode(certificate)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _saml_values(provider: IdentityProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "metadata_url": provider.saml_metadata_url,
        "entity_id": provider.saml_entity_id,
        "sso_url": provider.saml_sso_url,
        "certificate_sha256": certificate_fingerprint(provider.saml_x509cert),
        "enabled": provider.enabled,
        "team_claim": provider.team_claim,
        "role_claim": provider.role_claim,
        **{
            f"role_value_{role}": (provider.role_values or {}).get(role, "")
            for role in MAPPED_ROLES
        },
    }


def do_refresh_saml_metadata(actor: Membership, provider: IdentityProvider) -> IdPMetadata:
    """Fetch the IdP metadata again from its URL (e.g. after a certificate rollover), keep
    it, audit. Outside any transaction for the fetch; raises MetadataError after recording
    the failure, with nothing changed."""
    try:
        metadata = fetch_metadata(provider.saml_metadata_url)
    except MetadataError as error:
        with transaction.atomic():
            audit(
                actor.org,
                actor.user,
                "sso.provider.check",
                provider,
                {"result": [None, "failed"], "reason": [None, str(error)[:200]]},
            )
        raise
    with transaction.atomic():
        row = IdentityProvider.objects.select_for_update().get(
            pk=provider.pk, kind=ProviderKind.SAML
        )
        before = _saml_values(row)
        _set_metadata(row, metadata)
        row.save()
        after = _saml_values(row)
        changes = _changes(before, after)
        audit(
            actor.org,
            actor.user,
            "sso.provider.check",
            row,
            {"result": [None, "ok"], **changes},
        )
    return metadata


def normalise_domain(domain: str) -> str:
    """A domain as typed, lower case, without a leading '@' or trailing dot; or ValidationError."""
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("Enter a domain name, e.g. example.com.")) from None
    if not DOMAIN_PATTERN.match(domain):
        raise ValidationError(_("Enter a domain name, e.g. example.com."))
    return domain


@transaction.atomic
def do_add_domain(actor: Membership, domain: str) -> EmailDomain:
    """Claim an e-mail domain for the organisation; an instance operator verifies it."""
    domain = normalise_domain(domain)
    if EmailDomain.objects.filter(org=actor.org, domain=domain).exists():
        raise ValidationError(_("This domain is already listed."))
    if EmailDomain.objects.verified().filter(domain=domain).exists():
        raise ValidationError(_("This domain is verified for another organisation."))
    row = EmailDomain.objects.create(org=actor.org, domain=domain, requested_by=actor.user)
    audit(actor.org, actor.user, "sso.domain.add", row, {"domain": [None, domain]})
    return row


@transaction.atomic
def do_remove_domain(actor: Membership, row: EmailDomain) -> None:
    """Remove a domain: its people can no longer be created by single sign-on."""
    audit(actor.org, actor.user, "sso.domain.remove", row, {"domain": [row.domain, None]})
    row.delete()


@transaction.atomic
def do_verify_domain(operator: Any, row: EmailDomain) -> EmailDomain:
    """An instance operator confirms that the organisation owns the domain."""
    row = EmailDomain.objects.select_for_update().get(pk=row.pk)
    if row.is_verified:
        return row
    if EmailDomain.objects.verified().filter(domain=row.domain).exclude(pk=row.pk).exists():
        raise ValidationError(_("This domain is verified for another organisation."))
    row.verified_at = timezone.now()
    row.verified_by = operator
    row.save(update_fields=["verified_at", "verified_by"])
    audit(row.org, operator, "sso.domain.verify", row, {"verified": [False, True]})
    return row


def settings_of(org: Organization) -> SSOSettings:
    """The organisation's single sign-on rules (unsaved defaults if never set)."""
    try:
        return SSOSettings.objects.select_related("break_glass__user").get(org=org)
    except SSOSettings.DoesNotExist:
        return SSOSettings(org=org)


@transaction.atomic
def do_change_sso_settings(
    actor: Membership, *, require_sso: bool, break_glass: Membership | None
) -> dict[str, list[Any]]:
    """Require single sign-on or not, and name the break-glass admin.

    Requiring it needs a usable provider (or nobody could sign in) and a break-glass admin
    who is an active org admin of this organisation.
    """
    org = actor.org
    if break_glass is not None and (
        break_glass.org_id != org.pk or not break_glass.is_active or not break_glass.is_org_admin
    ):
        raise ValidationError(_("The break-glass admin must be an active organisation admin."))
    if require_sso:
        if not IdentityProvider.objects.usable().filter(org=org).exists():
            raise ValidationError(
                _("Add an identity provider and test its connection before requiring it.")
            )
        if break_glass is None:
            raise ValidationError(_("Choose the break-glass admin who keeps a password."))
    current, _created = SSOSettings.objects.select_for_update().get_or_create(org=org)
    changes: dict[str, list[Any]] = {}
    if current.require_sso != require_sso:
        changes["require_sso"] = [current.require_sso, require_sso]
    if current.break_glass_id != (break_glass.pk if break_glass else None):
        changes["break_glass"] = [
            str(current.break_glass.user) if current.break_glass else None,
            str(break_glass.user) if break_glass else None,
        ]
    if changes:
        current.require_sso = require_sso
        current.break_glass = break_glass
        current.save(update_fields=["require_sso", "break_glass"])
        audit(org, actor.user, "sso.settings", current, changes)
    return changes


# --- Sign-in ---


@dataclass
class SignInRefused(Exception):
    """Single sign-on did not let this person in; `reason` is a code for the audit log."""

    reason: str
    email: str = ""

    def __str__(self) -> str:
        return self.reason


def merged_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    """The claims allauth kept (ID token, then userinfo over it, as OIDC Core §5.3.2 allows)."""
    claims: dict[str, Any] = {}
    for part in ("id_token", "userinfo"):
        value = extra_data.get(part)
        if isinstance(value, dict):
            claims.update(value)
    return claims or dict(extra_data)


def _email_verified(claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def do_sso_sign_in(provider: IdentityProvider, claims: dict[str, Any]) -> Any:
    """Return the user the identity provider's claims sign in, creating them just in time.

    Raises SignInRefused (recorded in the organisation's audit log) when the e-mail is
    missing or not vouched for, its domain is not verified by this organisation (another's
    domain never joins this one), or the person's account or membership is deactivated.
    """
    try:
        return _sign_in(provider, claims)
    except SignInRefused as refusal:
        with transaction.atomic():
            audit(
                provider.org,
                None,
                "sso.refused",
                provider,
                {"email": [None, refusal.email], "reason": [None, refusal.reason]},
            )
        raise


@transaction.atomic
def _sign_in(provider: IdentityProvider, claims: dict[str, Any]) -> Any:
    org = provider.org
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise SignInRefused("no_email")
    if not _email_verified(claims):
        raise SignInRefused("email_not_verified", email)
    domain = email_domain(email)
    owner = EmailDomain.objects.verified().filter(domain=domain).first()
    if owner is None:
        raise SignInRefused("domain_not_verified", email)
    if owner.org_id != org.pk:
        raise SignInRefused("domain_of_another_organisation", email)

    role = provider.role_for(claims)
    team = _team_for(provider, claims)
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is not None and not user.is_active:
        raise SignInRefused("account_inactive", email)
    membership = (
        Membership.objects.select_for_update().filter(org=org, user=user).first() if user else None
    )
    if membership is None:
        membership = add_person(
            org,
            email,
            role,
            team,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        audit(org, None, "sso.join", membership, {"provider": [None, provider.name]})
        return membership.user
    if not membership.is_active:
        raise SignInRefused("membership_inactive", email)
    _sync_membership(provider, membership, role, team)
    return membership.user


def _team_for(provider: IdentityProvider, claims: dict[str, Any]) -> Team | None:
    if not provider.team_claim:
        return None
    teams = {team.name.casefold(): team for team in Team.objects.filter(org=provider.org)}
    for value in claim_values(claims, provider.team_claim):
        if value.casefold() in teams:
            return teams[value.casefold()]
    return None


def _sync_membership(
    provider: IdentityProvider, membership: Membership, role: str, team: Team | None
) -> None:
    """Follow the directory: the mapped role and team replace the member's, when mapped."""
    changes: dict[str, list[Any]] = {}
    if provider.role_claim and role != membership.role:
        try:
            check_keeps_an_admin(membership, role, True)
        except ValidationError:
            pass  # the last admin stays one; the directory is fixed by a person
        else:
            changes["role"] = [membership.role, role]
            membership.role = role
    if team is not None and team.pk != membership.team_id:
        changes["team"] = [str(membership.team) if membership.team else None, str(team)]
        membership.team = team
    if changes:
        membership.save(update_fields=["role", "team"])
        audit(
            provider.org,
            None,
            "member.change",
            membership,
            {**changes, "source": [None, f"sso:{provider.name}"]},
        )


# --- Passwords when single sign-on is required ---


def orgs_requiring_sso(user: Any) -> list[Organization]:
    """The organisations where this person is an active member that requires single sign-on
    and they are not its break-glass admin."""
    rules = SSOSettings.objects.filter(
        require_sso=True,
        org__memberships__user=user,
        org__memberships__is_active=True,
    ).select_related("org", "break_glass")
    return [
        rule.org for rule in rules if not (rule.break_glass and rule.break_glass.user_id == user.pk)
    ]


def break_glass_orgs(user: Any) -> list[Organization]:
    """Organisations requiring single sign-on where this person is the break-glass admin."""
    rules = SSOSettings.objects.filter(
        require_sso=True, break_glass__user=user, break_glass__is_active=True
    ).select_related("org")
    return [rule.org for rule in rules]


@transaction.atomic
def do_refuse_password(user: Any, orgs: list[Organization]) -> None:
    """Record that a password sign-in was refused because single sign-on is required."""
    for org in orgs:
        audit(org, None, "sso.password_refused", user, {"email": [None, user.email]})


@transaction.atomic
def do_record_break_glass_sign_in(user: Any, orgs: list[Organization]) -> None:
    """Record that the break-glass admin signed in with a password."""
    for org in orgs:
        audit(org, user, "sso.break_glass_sign_in", user)


@transaction.atomic
def do_record_sign_in_error(provider: IdentityProvider, error: str, detail: str) -> None:
    """Record a sign-in that failed at the provider or in the protocol (a bad token)."""
    audit(
        provider.org,
        None,
        "sso.error",
        provider,
        {"error": [None, error], "detail": [None, detail[:200]]},
    )
