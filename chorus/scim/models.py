"""SCIM 2.0 provisioning: an organisation's tokens, its setting, and what SCIM adds to
people and teams (the client's own ids, the e-mail list it sent, whether it deleted them)."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization, Team


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256 digests: a 256-bit random secret needs no slow hash."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ScimToken(models.Model):
    """The bearer token an organisation's identity provider provisions it with."""

    PREFIX = "chorus_scim_"

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, shown so that an admin can tell tokens apart.
    hint = models.CharField(max_length=24)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ScimSettings(models.Model):
    """What deprovisioning does with a person's place in the ambassador programme."""

    class Departure(models.TextChoices):
        KEEP = "keep", _("Keep their contributions, with their name")
        ANONYMISE = "anonymise", _("Anonymise their contributions")

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="scim_settings")
    on_deactivation = models.CharField(
        _("when the directory deactivates someone"),
        max_length=10,
        choices=Departure.choices,
        default=Departure.KEEP,
        help_text=_(
            "They leave the ambassador programme either way; the organisation's figures "
            "keep what they did."
        ),
    )

    class Meta:
        verbose_name = _("SCIM settings")
        verbose_name_plural = _("SCIM settings")

    def __str__(self) -> str:
        return f"SCIM settings of {self.org_id}"


class ScimUser(models.Model):
    """What the directory said about a member that Chorus does not otherwise keep.

    A member without this row (added by hand) is still a SCIM User: their userName is
    their e-mail address.
    """

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="scim")
    # Empty: the e-mail address serves as userName.
    user_name = models.CharField(max_length=254, blank=True)
    external_id = models.CharField(max_length=254, blank=True)
    # The "emails" the client sent ([{"value", "type", "primary"}]); the account's own
    # address is the primary one.
    emails = models.JSONField(default=list, blank=True)
    # Set by DELETE: the resource is gone for SCIM (404) and the member deactivated.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The account was switched off by a deactivation (it had no other organisation), so
    # that a reactivation switches it on again, and only then.
    disabled_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SCIM user")
        verbose_name_plural = _("SCIM users")

    def __str__(self) -> str:
        return self.user_name or str(self.membership_id)


class ScimGroup(models.Model):
    """The directory's own id for a team."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=254, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SCIM group")
        verbose_name_plural = _("SCIM groups")

    def __str__(self) -> str:
        return self.external_id or str(self.team_id)
