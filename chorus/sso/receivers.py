"""Sign-in receivers: the break-glass admin's password sign-ins go to the audit log."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from chorus.sso.actions import break_glass_orgs, do_record_break_glass_sign_in


@receiver(user_logged_in, dispatch_uid="sso_break_glass_sign_in")
def break_glass_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A sign-in without an identity provider, by an organisation's break-glass admin."""
    if kwargs.get("sociallogin") is not None:
        return
    orgs = break_glass_orgs(user)
    if orgs:
        do_record_break_glass_sign_in(user, orgs)
