"""The worker builds an organisation's feed context after a change, for every web process
to map (`chorus.feed.cache`, `chorus.feed.shared`)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from chorus.feed.live import refresh_shared_context
from chorus.orgs.models import Organization


@db_task()
def build_feed_context(org_id: int) -> bool:
    """Build and share the organisation's context unless a current one exists; True if built."""
    org = Organization.objects.filter(pk=org_id).first()
    return refresh_shared_context(org) if org is not None else False
