"""Background work for tracked links."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chorus.lib.locks import lease_task


@db_periodic_task(crontab(minute="*"))
@lease_task("ingest-clicks", every=60)
def ingest_clicks() -> None:
    """Every minute, move journaled clicks into the database and update the rollups."""
    from chorus.links.ingest import ingest

    ingest()
