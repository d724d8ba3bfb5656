"""Leaving the programme stops sharing at once."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.program.signals import participant_left


@receiver(participant_left)
def stop_sharing(sender: Any, membership: Any, anonymise: bool, **kwargs: Any) -> None:
    from chorus.sharing.actions import on_participant_left

    on_participant_left(membership, anonymise=anonymise)
