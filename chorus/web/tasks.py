"""Periodic housekeeping run by the Huey worker, and the worker's heartbeat."""

from __future__ import annotations

import logging

from django.core import management
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.exceptions import TaskLockedException

from chorus.lib.locks import hold, lease_task

logger = logging.getLogger(__name__)

# The lease whose completions are the worker's heartbeat (read by /healthz, chorus.web.views).
HEARTBEAT = "worker-heartbeat"
HEARTBEAT_EVERY = 60


@db_periodic_task(crontab(hour="3", minute="17"))
def clear_expired_sessions() -> None:
    """Delete expired login sessions every night."""
    management.call_command("clearsessions")


@db_periodic_task(crontab(minute="*"))
@lease_task(HEARTBEAT, every=HEARTBEAT_EVERY)
def worker_heartbeat() -> None:
    """Every minute, through the queue: a worker takes tasks and its scheduler runs.

    The beat is the lease's completion time, kept in Huey's storage (SQLite file or Redis),
    which every web process reads. It says that *a* worker of the queue is alive, which is what
    the site needs; with several workers, each of them runs it in turn.
    """


@HUEY.on_startup()
def beat_on_startup() -> None:
    """A worker (re)started beats at once instead of at the next minute."""
    try:
        with hold(HEARTBEAT, every=HEARTBEAT_EVERY):
            pass
    except TaskLockedException:
        pass  # another worker thread is beating right now
    except Exception:  # the queue's storage is down: the periodic beat will say so
        logger.exception("Could not record the worker's heartbeat at start-up.")
