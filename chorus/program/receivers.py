"""How the programme reacts to other apps' signals."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.orgs.models import Membership
from chorus.orgs.signals import invitation_revoked
from chorus.program.models import Participation
from chorus.program.signals import participant_left
from chorus.webhooks.events import emit


@receiver(invitation_revoked)
def withdraw_programme_invitation(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A revoked programme invitation is withdrawn: the person no longer sees "join"."""
    if kwargs["invitation"].programme:
        Participation.objects.filter(
            membership=membership, status=Participation.Status.INVITED
        ).delete()


@receiver(participant_left, dispatch_uid="webhooks_participant_left")
def send_member_left(sender: Any, membership: Membership, anonymise: bool, **kwargs: Any) -> None:
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
