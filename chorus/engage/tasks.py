"""The worker keeps points, badges and challenges up to date."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

# Recent days are recomputed often: clicks arrive through the journal within minutes, and
# shares, suggestions and answers can be decided a little after they happened.
RECENT_DAYS = 2


@db_periodic_task(crontab(minute="*/15"))
@HUEY.lock_task("award-points")
def award_recent_points() -> None:
    """Every quarter of an hour, recompute the last days' points in every organisation."""
    from chorus.engage.points import award_all

    award_all(since=timezone.now() - timedelta(days=RECENT_DAYS))


@db_periodic_task(crontab(minute="30", hour="3"))
@HUEY.lock_task("award-points")
def award_all_points() -> None:
    """Every night, recompute everything: late attendance records, changed rules."""
    from chorus.engage.points import award_all

    award_all()


@db_task()
def award_org_points(org_id: int) -> None:
    """Recompute one organisation's points now (after its rules changed)."""
    from chorus.engage.points import award
    from chorus.orgs.models import Organization

    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        award(org)
