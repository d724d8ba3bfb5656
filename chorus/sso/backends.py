"""Passwords stop working for members of an organisation that requires single sign-on."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from chorus.sso.actions import do_refuse_password, orgs_requiring_sso


class RequireSSOBackend(ModelBackend):
    """Listed first in AUTHENTICATION_BACKENDS: refuses a password sign-in outright.

    Django stops at a backend that raises PermissionDenied, so neither ModelBackend nor
    allauth's backend checks the password of a person whose organisation requires single
    sign-on (its break-glass admin excepted). Every other sign-in is left to those backends.
    It is a ModelBackend for the rest (loading the session's user, permissions) because
    Django records the first backend in sessions made by `login()` without a backend.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, **credentials: Any
    ) -> None:
        identifier = credentials.get("email") or credentials.get("username")
        if credentials.get("password") is None or not isinstance(identifier, str):
            return None
        user = get_user_model().objects.filter(email__iexact=identifier.strip()).first()
        if user is None:
            return None
        orgs = orgs_requiring_sso(user)
        if orgs:
            do_refuse_password(user, orgs)
            raise PermissionDenied
        return None
