"""`chorus ingest_clicks`: move journaled clicks into the database now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chorus.links.ingest import ingest


class Command(BaseCommand):
    help = "Ingest the click journal (the worker does it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{ingest()} click(s) ingested.")
