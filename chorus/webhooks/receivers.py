"""Events sent from other apps' signals (inside the sender's transaction)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.orgs.models import Membership
from chorus.program.signals import participant_left
from chorus.webhooks.events import emit


@receiver(participant_left, dispatch_uid="webhooks_participant_left")
def member_left(sender: Any, membership: Membership, anonymise: bool, **kwargs: Any) -> None:
    """`member.left_programme`; a person who asked to be anonymised is sent by id only."""
    data: dict[str, Any] = {"member_id": membership.pk, "anonymised": anonymise}
    if not anonymise:
        data["email"] = membership.user.email
    # Sent by id only when anonymised, and not tied to the person: it outlives their erasure.
    emit(
        membership.org_id,
        "member.left_programme",
        data,
        subject=None if anonymise else membership.pk,
    )
