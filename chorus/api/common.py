"""Helpers shared by the API's routers."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

from chorus.orgs.models import Membership


class ErrorOut(Schema):
    detail: str


def membership_of(request: HttpRequest) -> Membership:
    """The member the bearer token acts for."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def require(request: HttpRequest, role: str) -> Membership:
    """The token's member, or 403 if their role is below `role`."""
    membership = membership_of(request)
    if not membership.has_role(role):
        raise HttpError(403, "Your role does not allow this.")
    return membership
