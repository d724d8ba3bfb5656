"""What the programme's signals mean for notifications."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from chorus.notify.actions import notify
from chorus.notify.models import Notification
from chorus.program.models import Question
from chorus.program.signals import participant_left, question_answered


@receiver(participant_left)
def drop_notifications(sender: Any, membership: Any, **kwargs: Any) -> None:
    """Leaving the programme: pending notifications go away with it."""
    Notification.objects.filter(membership=membership).unread().delete()


@receiver(question_answered)
def tell_the_asker(sender: Any, question: Question, first_answer: bool, **kwargs: Any) -> None:
    """The person who asked is told their question was answered (if still in the programme)."""
    if question.asked_by is None:
        return
    url = reverse("question", kwargs={"org": question.org.slug, "question_id": question.pk})

    def message() -> str:
        if first_answer:
            return _("The programme team answered your question.")
        return _("The programme team updated its answer to your question.")

    notify(question.asked_by, Notification.Kind.ANSWER, message, url)
