"""Background work for webhooks: delivering the outbox, and the daily figures event."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chorus.lib.locks import lease_task
from chorus.webhooks import delivery, figures


@db_periodic_task(crontab(minute="*"))
@lease_task("deliver-webhooks", every=60)
def deliver_webhooks() -> None:
    """Every minute, send the messages that are due, in order per endpoint."""
    delivery.deliver_due()


@db_periodic_task(crontab(hour="5", minute="15"))
@lease_task("webhooks-daily-figures", every=24 * 3600)
def emit_daily_figures() -> None:
    """Every morning (UTC), queue yesterday's figures for the endpoints that want them."""
    figures.emit_daily_figures()
