"""How django-allauth behaves for Chorus."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

# allauth's messages that the product leaves out.
QUIET_MESSAGES = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}
# Set on a request whose messages are for a person not signed in yet (a password reset).
MESSAGE_LANGUAGE = "chorus_message_language"


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

    def set_password(self, user: Any, password: str) -> None:
        """Set a password; a reset's message that follows (still signed out) is then said in
        the person's language."""
        super().set_password(user, password)
        language: str = user.language if hasattr(user, "language") else ""
        if self.request is not None and language:
            setattr(self.request, MESSAGE_LANGUAGE, language)

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
        # The others in the person's own language, even on a request that began before
        # they were signed in (a password reset signs them in on the way).
        user = (message_context or {}).get("user") or getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        language = language or getattr(request, MESSAGE_LANGUAGE, "")
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = translation.get_language()
        with translation.override(language):
            super().add_message(
                request, level, message_template, message_context, extra_tags, message=message
            )
