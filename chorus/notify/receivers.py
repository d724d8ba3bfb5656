"""What other apps' signals mean for notifications and digests."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from chorus.feed.signals import profile_starting
from chorus.notify.actions import digest_settings, notify
from chorus.notify.models import Notification
from chorus.program.models import Question
from chorus.program.signals import participant_left, question_answered
from chorus.sharing.signals import attention_needed


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


@receiver(attention_needed)
def tell_the_person(
    sender: Any, membership: Any, kind: str, message: Any, url: str, **kwargs: Any
) -> None:
    """A share that failed or a connection about to expire: the person is told."""
    notify(membership, Notification.Kind(kind), message, url)


@receiver(profile_starting)
def digest_default(sender: Any, membership: Any, defaults: dict[str, Any], **kwargs: Any) -> None:
    """A new ambassador profile starts with the organisation's digest frequency."""
    defaults["digest"] = digest_settings(membership.org).default_frequency
