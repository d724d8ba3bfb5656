"""Test helpers for the coaching part of results (issue: results that guide)."""

from __future__ import annotations

from typing import Any


def make_note(
    author: Any, subject: Any, text: str = "Nice angle on this one.", **fields: Any
) -> Any:
    from chorus.coaching.models import CoachingNote

    return CoachingNote.objects.create(
        org=subject.org, author=author, subject=subject, text=text, **fields
    )


def make_reply(note: Any, author: Any, text: str = "Thanks!") -> Any:
    from chorus.coaching.models import CoachingReply

    return CoachingReply.objects.create(org=note.org, note=note, author=author, text=text)


def populate(org: Any, member: Any) -> None:
    """One object of each coaching model in the organisation, for the isolation walk.

    The note is written by the organisation's admin (who walks the routes) to `member`:
    notes are private to their two parties, so only they reach it."""
    from chorus.orgs.models import Membership, Role

    admin = Membership.objects.filter(org=org, role=Role.ORG_ADMIN).order_by("pk").first()
    note = make_note(admin or member, member)
    make_reply(note, member)
