"""Creating, listing, revoking and checking personal access tokens."""

from __future__ import annotations

import secrets
from typing import Any, cast

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.api.models import Token, hash_token
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    membership = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Membership.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["membership"])
        field.queryset = Membership.objects.active().filter(user=user).select_related("org")
        field.widget.attrs["translate"] = "no"
        field.label_from_instance = lambda m: m.org.name  # type: ignore[method-assign,assignment]


def tokens_of(user: Any) -> QuerySet[Token]:
    return Token.objects.filter(user=user).select_related("org")


@transaction.atomic
def do_create_token(membership: Membership, name: str) -> tuple[Token, str]:
    """Create a token for the member; the raw value is returned once and never stored."""
    raw = Token.PREFIX + secrets.token_urlsafe(32)
    token = Token.objects.create(
        org=membership.org,
        user=membership.user,
        name=name,
        key_hash=hash_token(raw),
        hint=raw[: len(Token.PREFIX) + 4],
    )
    audit(membership.org, membership.user, "token.create", token)
    return token, raw


@transaction.atomic
def do_revoke_token(actor: Any, token: Token) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(token.org, actor, "token.revoke", token)


def authenticate_token(raw: str) -> tuple[Token, Membership] | None:
    """Return the token and its membership if `raw` is a valid, unrevoked token."""
    if not raw.startswith(Token.PREFIX):
        return None
    token = (
        Token.objects.usable()
        .select_related("user", "org")
        .filter(key_hash=hash_token(raw))
        .first()
    )
    if token is None:
        return None
    membership = Membership.objects.select_related("org", "team", "user").get(
        org=token.org, user=token.user
    )
    now = timezone.now()
    # Write the last use at most once a minute: the API must not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, membership
