"""Personal access tokens for the JSON API."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Organization


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256 digests: high-entropy secrets need no slow hash."""
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenQuerySet(models.QuerySet["Token"]):
    def usable(self) -> TokenQuerySet:
        return self.filter(
            revoked_at__isnull=True,
            user__is_active=True,
            user__memberships__org=models.F("org"),
            user__memberships__is_active=True,
        )


class Token(models.Model):
    """A person's token for one organisation, sent as `Authorization: Bearer <token>`."""

    PREFIX = "chorus_"

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, shown so a person can tell their tokens apart.
    hint = models.CharField(max_length=16)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
