"""How the programme reacts to other apps' signals."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.orgs.models import Membership
from chorus.orgs.signals import invitation_revoked
from chorus.program.models import Participation


@receiver(invitation_revoked)
def withdraw_programme_invitation(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """A revoked programme invitation is withdrawn: the person no longer sees "join"."""
    if kwargs["invitation"].programme:
        Participation.objects.filter(
            membership=membership, status=Participation.Status.INVITED
        ).delete()
