"""What tracked links do when someone leaves the programme."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from chorus.links.models import Conversion, TrackedLink
from chorus.program.signals import participant_left


@receiver(participant_left)
def anonymise_links(sender: Any, membership: Any, anonymise: bool, **kwargs: Any) -> None:
    """Past links keep counting; if the person asked, they no longer point to them."""
    if anonymise:
        TrackedLink.objects.filter(ambassador=membership).update(ambassador=None)
        Conversion.objects.filter(ambassador=membership).update(ambassador=None)
