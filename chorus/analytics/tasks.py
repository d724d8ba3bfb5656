"""Background work for analytics: the rollups follow the events every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("analytics-rollups")
def refresh_rollups() -> None:
    """Rebuild the days whose shares, clicks, conversions or engagement changed."""
    from chorus.analytics.rollups import refresh

    refresh()
