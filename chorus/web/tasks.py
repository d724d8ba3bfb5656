"""Periodic housekeeping run by the Huey worker."""

from __future__ import annotations

from django.core import management
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="17"))
def clear_expired_sessions() -> None:
    """Delete expired login sessions every night."""
    management.call_command("clearsessions")
