"""Sending notifications. The one rule: nobody who has not opted in, or who left, gets one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone, translation

from chorus.notify.models import DigestSettings, Notification
from chorus.orgs.actions import do_change_settings
from chorus.orgs.models import Membership, Organization
from chorus.program.models import is_participant


def notify(
    membership: Membership, kind: str, message: Callable[[], str] | str, url: str = ""
) -> Notification | None:
    """Notify a programme member; return None (and store nothing) for anyone else.

    `message` may be a callable so that it is rendered in the recipient's language.
    """
    if not is_participant(membership):
        return None
    language = membership.user.language or membership.org.default_language
    with translation.override(language):
        text = message() if callable(message) else message
    return Notification.objects.create(
        org=membership.org, membership=membership, kind=kind, message=text[:500], url=url
    )


def unread_count(membership: Membership) -> int:
    return Notification.objects.filter(membership=membership).unread().count()


def digest_settings(org: Organization) -> DigestSettings:
    """The organisation's digest defaults (unsaved defaults until someone saves them)."""
    found = DigestSettings.objects.filter(org=org).first()
    return found if found is not None else DigestSettings(org=org)


def do_change_digest_settings(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change the organisation's digest defaults; audited with each field's before and after."""
    return do_change_settings(actor, digest_settings(actor.org), values, "digest.settings")


def do_mark_read(member: Membership, notification: Notification) -> Notification:
    """Mark one of the person's notifications as read (once: the first time stays)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def do_read_all(member: Membership) -> int:
    """Mark every unread notification of the person as read; how many were."""
    return Notification.objects.filter(membership=member).unread().update(read_at=timezone.now())
