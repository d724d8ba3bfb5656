"""Background work for tracked links."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task


@db_periodic_task(crontab(minute="*"))
@HUEY.lock_task("ingest-clicks")
def ingest_clicks() -> None:
    """Every minute, move journaled clicks into the database and update the rollups."""
    from chorus.links.ingest import ingest

    ingest()
