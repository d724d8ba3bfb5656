"""How django-allauth behaves for Chorus."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """People join through an organisation; public sign-up is off unless configured."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.CHORUS_OPEN_SIGNUP)
