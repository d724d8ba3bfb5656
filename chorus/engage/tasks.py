"""The worker keeps points, badges and challenges up to date."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chorus.lib.locks import lease_task
from chorus.orgs.models import Organization

# Recent days are recomputed often: clicks arrive through the journal within minutes, and
# shares, suggestions and answers can be decided a little after they happened.
RECENT_DAYS = 2
FULL_RUN_HOUR = 3


@db_periodic_task(crontab(minute="*/15"))
@lease_task("award-points", every=15 * 60)
def award_points() -> None:
    """Every quarter of an hour, recompute the last days' points in every organisation; in
    the first run after 3 a.m., everything (late attendance records, changed rules, the
    conversations older shares keep drawing)."""
    from chorus.engage.points import award_all

    now = timezone.localtime()
    if now.hour == FULL_RUN_HOUR and now.minute < 15:
        award_all()
    else:
        award_all(since=now - timedelta(days=RECENT_DAYS))


@db_task()
def award_org_points(org_id: int) -> None:
    """Recompute one organisation's points now (after its rules changed)."""
    from chorus.engage.points import award

    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        award(org)
