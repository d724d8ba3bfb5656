"""Tiny factories: each makes one object with sensible defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from chorus.api.models import Token
from chorus.api.tokens import do_create_token
from chorus.orgs.models import Membership, Organization, Role, Team

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def make_user(email: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    number = next(_numbers)
    fields.setdefault("first_name", f"Person{number}")
    fields.setdefault("last_name", "Example")
    return get_user_model().objects.create_user(
        email or f"person{number}@example.com", password=PASSWORD, **fields
    )


def make_org(name: str | None = None, slug: str | None = None) -> Organization:
    number = next(_numbers)
    return Organization.objects.create(name=name or f"Org {number}", slug=slug or f"org-{number}")


def make_team(
    org: Organization, name: str | None = None, manager: Membership | None = None
) -> Team:
    return Team.objects.create(org=org, name=name or f"Team {next(_numbers)}", manager=manager)


def make_member(
    org: Organization,
    role: str = Role.AMBASSADOR,
    user: Any = None,
    team: Team | None = None,
    **fields: Any,
) -> Membership:
    return Membership.objects.create(
        org=org, user=user or make_user(), role=role, team=team, **fields
    )


def make_token(membership: Membership, name: str = "test") -> tuple[Token, str]:
    return do_create_token(membership, name)
