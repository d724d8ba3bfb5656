"""Leaving the programme: points stop; an anonymised departure takes them away too."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.program.signals import participant_left


@receiver(participant_left)
def forget_results(sender: Any, membership: Any, anonymise: bool, **kwargs: Any) -> None:
    """A person who leaves stops earning and disappears from leaderboards and winners (both
    follow programme membership). Asked to be anonymised, their ledger, badges, challenge
    results and preference are deleted; otherwise kept for a possible return."""
    if not anonymise:
        return
    from chorus.engage.models import (
        BadgeAward,
        ChallengeResult,
        LeaderboardPreference,
        PointsEntry,
    )

    for model in (PointsEntry, BadgeAward, ChallengeResult, LeaderboardPreference):
        model.objects.filter(membership=membership).delete()  # type: ignore[attr-defined]
