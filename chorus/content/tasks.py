"""Background work of the content hub: link previews and feed polling."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chorus.content.models import ContentItem, Source


@db_task(retries=2, retry_delay=30)
def fetch_item_preview(item_id: int) -> None:
    """Fill an item's empty title, summary, image and site name from its page."""
    from chorus.content.previews import fill_preview

    item = ContentItem.objects.filter(pk=item_id).first()
    if item is not None:
        fill_preview(item)


@db_periodic_task(crontab(minute="*/5"))
def poll_due_sources() -> None:
    """Every five minutes, poll the sources whose time has come."""
    from chorus.content import polling

    polling.poll_due_sources()


@db_task()
def poll_one_source(source_id: int) -> None:
    from chorus.content import polling

    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is not None and polling.claim(source, timezone.now()):
        polling.poll_source(source)


@db_task()
def run_import_job(job_id: int) -> None:
    """Import a CSV upload's rows; claimed once, so a retried task never imports twice."""
    from chorus.content import importing

    importing.run_job(job_id)
