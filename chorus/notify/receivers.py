"""Leaving the programme: pending notifications go away with it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.notify.models import Notification
from chorus.program.signals import participant_left


@receiver(participant_left)
def drop_notifications(sender: Any, membership: Any, **kwargs: Any) -> None:
    Notification.objects.filter(membership=membership).unread().delete()
