"""Coaching notes: a manager's private word to one person, about a share, a workshop or
their way of sharing, and the thread of replies between the two of them.

A note is private to its author and its subject: no other manager, no admin, no report
ever reads it. Every query for notes goes through `CoachingNote.objects.between(member)`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization

MAX_NOTE_LENGTH = 2000


class CoachingNoteQuerySet(models.QuerySet["CoachingNote"]):
    def between(self, member: Membership) -> CoachingNoteQuerySet:
        """The notes this member may read: the ones they wrote or that are about them."""
        return self.filter(Q(author=member) | Q(subject=member), org_id=member.org_id)

    def with_reply_counts(self, reader: Membership) -> CoachingNoteQuerySet:
        """Annotate `reply_count`, and `unread_replies`: replies the reader has not seen."""

        def count(replies: models.QuerySet) -> Coalesce:
            counted = replies.values("note_id").annotate(count=Count("id")).values("count")
            return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

        replies = CoachingReply.objects.filter(note_id=OuterRef("pk")).order_by()
        unread = replies.filter(read_at__isnull=True).exclude(author_id=reader.pk)
        return self.annotate(reply_count=count(replies), unread_replies=count(unread))


class CoachingNote(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Empty once the author's membership is deleted: the subject keeps the note.
    author = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coaching_notes_written",
    )
    subject = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="coaching_notes")
    share = models.ForeignKey(
        "sharing.Share",
        verbose_name=_("about the share"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A follow-up sent to the people who attended a workshop.
    workshop = models.ForeignKey(
        "program.Workshop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("note"), max_length=MAX_NOTE_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the subject first opened it.
    read_at = models.DateTimeField(null=True, blank=True)

    objects = CoachingNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "created_at"], name="coachingnote_subject")]
        verbose_name = _("coaching note")
        verbose_name_plural = _("coaching notes")

    def __str__(self) -> str:
        return f"note {self.pk} to {self.subject_id}"

    def is_party(self, member: Membership) -> bool:
        return member.pk in (self.author_id, self.subject_id)

    def other_party(self, member: Membership) -> Membership | None:
        """The person on the other side of the thread (None if the author has gone)."""
        return self.subject if member.pk == self.author_id else self.author


class CoachingReply(models.Model):
    """One message in a note's thread, from its author or its subject."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(CoachingNote, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("reply"), max_length=MAX_NOTE_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the other party first saw it.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply to a coaching note")
        verbose_name_plural = _("replies to coaching notes")

    def __str__(self) -> str:
        return f"reply {self.pk} to note {self.note_id}"
