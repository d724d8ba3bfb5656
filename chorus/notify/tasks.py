"""The worker sends digests every morning to the people whose digest is due."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="0", hour="7"))
def send_digests() -> None:
    from chorus.notify.digest import send_due

    send_due()
