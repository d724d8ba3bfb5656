"""How django-allauth behaves for Chorus."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest

# allauth's messages that the product leaves out.
QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}


class AccountAdapter(DefaultAccountAdapter):
    """People join through an organisation; public sign-up is off unless configured."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(settings.CHORUS_OPEN_SIGNUP)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failed logins per account only (allauth's key also holds the request's host
        with its port: "chorus.example:1", ":2"… would each get five more tries, since
        ALLOWED_HOSTS ignores the port; and processes on different ports would not share)."""
        login = credentials.get("email", credentials.get("username", ""))
        return f"login:{str(login).lower()}"

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # "Successfully signed in as …" said nothing the next page does not show, and came
        # in the browser's language before the person's own was applied.
        if message_template in QUIET_MESSAGES:
            return
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )
