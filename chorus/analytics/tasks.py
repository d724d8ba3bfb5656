"""Background work for analytics: the rollups follow the events every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chorus.analytics import webhooks
from chorus.analytics.retention import apply_retention
from chorus.lib.locks import lease_task


@db_periodic_task(crontab(minute="*"))
@lease_task("analytics-rollups", every=60)
def refresh_rollups() -> None:
    """Rebuild the days whose shares, clicks, conversions or engagement changed."""
    from chorus.analytics.rollups import refresh

    refresh()


@db_periodic_task(crontab(hour="2", minute="41"))
@lease_task("retention", every=86400)
def apply_retention_nightly() -> None:
    """Blank and delete what organisations keep no longer (chorus.analytics.retention)."""
    apply_retention()


@db_periodic_task(crontab(hour="5", minute="15"))
@lease_task("webhooks-daily-figures", every=24 * 3600)
def emit_daily_figures() -> None:
    """Every morning (UTC), queue yesterday's figures for the webhook endpoints that want them."""
    webhooks.emit_daily_figures()
