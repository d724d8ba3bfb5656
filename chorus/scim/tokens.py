"""An organisation's SCIM tokens: made (shown once), revoked, checked on every request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from chorus.orgs.actions import audit
from chorus.orgs.models import Organization
from chorus.scim.models import ScimToken, hash_token


@dataclass(frozen=True)
class Provisioner:
    """The identity provider acting through a token, as the audit log names it.

    Not a person: `audit()` records no actor account, only this name as the actor's text.
    """

    token: ScimToken
    is_authenticated = False

    @property
    def email(self) -> str:
        return f"SCIM: {self.token.name}"


@transaction.atomic
def do_create_scim_token(org: Organization, actor: Any, name: str) -> tuple[ScimToken, str]:
    """Make a token for `org`; the raw value is returned once and only its hash is kept.

    `actor` is the admin who asked, or None for the command line."""
    raw = ScimToken.PREFIX + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        org=org, name=name, key_hash=hash_token(raw), hint=raw[: len(ScimToken.PREFIX) + 4]
    )
    audit(org, actor, "scim.token.create", token)
    return token, raw


@transaction.atomic
def do_revoke_scim_token(actor: Any, token: ScimToken) -> None:
    """Stop the token working at once; revoking it twice changes nothing."""
    token = ScimToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(token.org, actor, "scim.token.revoke", token)


def authenticate(raw: str, org_slug: str) -> ScimToken | None:
    """The unrevoked token `raw` of the organisation `org_slug`, or None.

    Another organisation's token is refused like a wrong one: the answer does not say
    whether the organisation exists."""
    if not raw.startswith(ScimToken.PREFIX):
        return None
    token = (
        ScimToken.objects.select_related("org")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, org__slug=org_slug)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # At most one write a minute: a directory sync makes thousands of calls.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
