"""Background work for webhooks: delivering the outbox (the daily figures event is sent by
`chorus.analytics.tasks`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chorus.lib.locks import lease_task
from chorus.webhooks import delivery


@db_periodic_task(crontab(minute="*"))
@lease_task("deliver-webhooks", every=60)
def deliver_webhooks() -> None:
    """Every minute, send the messages that are due, in order per endpoint."""
    delivery.deliver_due()
