"""Publishing runs in the worker: due shares every minute, and at once when shared "now".
Expiring tokens are announced ahead, once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chorus.integrations import registry


@db_task()
def publish_share_task(share_id: int) -> str:
    from chorus.sharing.publishing import publish_share

    return publish_share(share_id)


def publish_now(share_id: int) -> None:
    publish_share_task(share_id)


def publish_due(limit: int = 200) -> int:
    """Publish what is due, one share after the other; several workers may run this."""
    from chorus.sharing.publishing import due_ids, publish_share, worker_name

    worker = worker_name()
    done = 0
    for share_id in due_ids(limit):
        if publish_share(share_id, worker) != "not-claimed":
            done += 1
    return done


@db_periodic_task(crontab(minute="*"))
def publish_due_shares() -> None:
    publish_due()


EXPIRY_WARNING = timedelta(days=7)


@db_periodic_task(crontab(minute="17", hour="*"))
def warn_expiring_connections() -> None:
    """A week before a token expires (LinkedIn: 60 days), tell the person to reconnect."""
    from chorus.sharing.models import Connection
    from chorus.sharing.notices import notify_expiring

    soon = timezone.now() + EXPIRY_WARNING
    for connection in Connection.objects.filter(
        status=Connection.Status.ACTIVE,
        expires_at__lte=soon,
        expiry_warned_at__isnull=True,
        # Only networks whose tokens do not refresh themselves (X's live two hours).
        network__in=[
            integration.key
            for integration in registry.integrations()
            if integration.warn_before_expiry
        ],
    ).select_related("membership__user", "membership__org", "org"):
        notify_expiring(connection)
        connection.expiry_warned_at = timezone.now()
        connection.save(update_fields=["expiry_warned_at"])


@db_periodic_task(crontab(minute="*/15"))
def sync_engagement() -> None:
    """Read the counts of published posts whose next reading is due (see sharing.metrics)."""
    from chorus.sharing.metrics import sync_due

    sync_due()
