"""Publish (or hand to the workers) every share whose time has come."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Publish the shares that are due now, in this process; with --enqueue, put them on "
        "the workers' queue instead (the worker also does this every minute)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enqueue", action="store_true", help="Queue them for the workers.")
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, enqueue: bool, limit: int, **options: Any) -> None:
        from chorus.sharing.publishing import due_ids
        from chorus.sharing.tasks import publish_due, publish_share_task

        if enqueue:
            ids = due_ids(limit)
            for share_id in ids:
                publish_share_task(share_id)
            self.stdout.write(f"{len(ids)} shares queued.")
        else:
            self.stdout.write(f"{publish_due(limit)} shares handled.")
