"""Test helpers for the metrics part of results (issue: results that guide)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def populate(org: Any, member: Any) -> None:
    """One object of each metrics model in the organisation, for the isolation walk."""
    from django.utils import timezone

    from chorus.sharing.models import EngagementSnapshot, Share
    from tests.factory import make_item, make_share

    published_at = timezone.now() - timedelta(hours=2)
    share = make_share(
        member,
        make_item(org),
        status=Share.Status.PUBLISHED,
        published_at=published_at,
        remote_id="109876543210",
    )
    EngagementSnapshot.objects.create(
        org=org, share=share, taken_at=published_at + timedelta(hours=1), reactions=3, comments=1
    )
