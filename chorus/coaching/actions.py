"""Writing coaching notes, replying to them, and following up a workshop.

Notes are private to their author and subject, so nothing here writes to the audit log
(which org admins read): it would tell them who is being coached.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.coaching.models import MAX_NOTE_LENGTH, CoachingNote, CoachingReply
from chorus.notify.actions import notify
from chorus.orgs.models import Membership, Role
from chorus.program.models import Workshop, WorkshopSignup
from chorus.sharing.models import Share

# The notification kind for notes and replies (shown as-is if the kind is not listed).
NOTIFICATION_KIND = "coaching"


class NoteRefused(Exception):
    """The note cannot be written; the message says why, for the person who tried."""


def can_coach(author: Membership, subject: Membership) -> bool:
    """Program managers coach anyone in the organisation; team managers, their teams."""
    if subject.org_id != author.org_id or subject.pk == author.pk or not subject.is_active:
        return False
    if author.has_role(Role.PROGRAM_MANAGER):
        return True
    return (
        author.has_role(Role.TEAM_MANAGER)
        and subject.team is not None
        and subject.team.manager_id == author.pk
    )


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise NoteRefused(_("Write a few words first."))
    if len(text) > MAX_NOTE_LENGTH:
        raise NoteRefused(_("Keep it under %(limit)s characters.") % {"limit": MAX_NOTE_LENGTH})
    return text


def note_url(note: CoachingNote) -> str:
    return reverse(
        "coaching_note", kwargs={"org": note.subject.org.slug, "coachingnote_id": note.pk}
    )


def _notify_note(note: CoachingNote) -> None:
    author = note.author.user.display_name if note.author else ""

    def message() -> str:
        if note.workshop is not None:
            return _("%(author)s sent you a follow-up to the workshop “%(workshop)s”.") % {
                "author": author,
                "workshop": note.workshop.title,
            }
        return _("%(author)s left you a coaching note.") % {"author": author}

    notify(note.subject, NOTIFICATION_KIND, message, note_url(note))


@transaction.atomic
def do_write_note(
    author: Membership, subject: Membership, text: str, *, share: object = None
) -> CoachingNote:
    """A note from a manager to one person, optionally about one of their shares."""
    if not can_coach(author, subject):
        raise NoteRefused(_("You can only write to people in the teams you manage."))
    if share is not None and (
        not isinstance(share, Share)
        or share.membership_id != subject.pk
        or share.org_id != subject.org_id
    ):
        raise NoteRefused(_("Choose one of this person's shares."))
    note = CoachingNote.objects.create(
        org=subject.org, author=author, subject=subject, share=share, text=_clean_text(text)
    )
    _notify_note(note)
    return note


@transaction.atomic
def do_reply(author: Membership, note: CoachingNote, text: str) -> CoachingReply:
    """A message in the note's thread, from one of its two parties, to the other."""
    if not note.is_party(author):
        raise NoteRefused(_("This conversation is not yours."))
    reply = CoachingReply.objects.create(
        org=note.org, note=note, author=author, text=_clean_text(text)
    )
    recipient = note.other_party(author)
    if recipient is not None and recipient.is_active:
        name = author.user.display_name

        def message() -> str:
            return _("%(author)s replied to your coaching conversation.") % {"author": name}

        notify(recipient, NOTIFICATION_KIND, message, note_url(note))
    return reply


def do_mark_read(reader: Membership, note: CoachingNote) -> None:
    """The reader has seen the note (if it is theirs) and the other party's replies."""
    now = timezone.now()
    if reader.pk == note.subject_id and note.read_at is None:
        CoachingNote.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=now)
        note.read_at = now
    CoachingReply.objects.filter(note=note, read_at__isnull=True).exclude(author=reader).update(
        read_at=now
    )


@transaction.atomic
def do_workshop_follow_up(
    author: Membership, workshop: object, text: str, attendees: Iterable[Membership]
) -> list[CoachingNote]:
    """The same follow-up, as a private note to each person who attended the workshop."""
    if not author.has_role(Role.PROGRAM_MANAGER):
        raise NoteRefused(_("Only the programme team sends workshop follow-ups."))
    if not isinstance(workshop, Workshop) or workshop.org_id != author.org_id:
        raise NoteRefused(_("Choose a workshop of your organisation."))
    text = _clean_text(text)
    attended = set(
        WorkshopSignup.objects.filter(workshop=workshop, attended=True).values_list(
            "membership_id", flat=True
        )
    )
    people = [
        person
        for person in attendees
        if person.pk in attended and person.pk != author.pk and person.is_active
    ]
    if not people:
        raise NoteRefused(_("Choose at least one person who attended."))
    notes = CoachingNote.objects.bulk_create(
        [
            CoachingNote(
                org=author.org, author=author, subject=person, workshop=workshop, text=text
            )
            for person in people
        ]
    )
    for note in notes:
        _notify_note(note)
    return notes
