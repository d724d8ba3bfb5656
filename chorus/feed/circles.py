"""The colleagues whose audiences overlap a person's beyond their team: same site, shared
audience personas. Registered with `chorus.sharing.variants` so the composer spreads caption
variants over them (sharing sits below feed, so it asks rather than imports)."""

from __future__ import annotations

from django.db.models import Q

from chorus.feed.models import AmbassadorProfile
from chorus.orgs.models import Membership


def overlapping(membership: Membership) -> set[int]:
    """Ids of the active colleagues who share the person's site or an audience persona."""
    profile = AmbassadorProfile.objects.filter(membership=membership).first()
    if profile is None:
        return set()
    wanted = Q()
    if profile.site:
        wanted |= Q(site__iexact=profile.site)
    personas = list(profile.personas.values_list("pk", flat=True))
    if personas:
        wanted |= Q(personas__in=personas)
    if not wanted:
        return set()
    return set(
        AmbassadorProfile.objects.filter(
            wanted, org_id=membership.org_id, membership__is_active=True
        )
        .exclude(membership=membership)
        .values_list("membership_id", flat=True)
    )
