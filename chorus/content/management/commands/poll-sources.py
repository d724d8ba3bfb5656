"""`chorus poll-sources --once`: one polling pass over the due sources, synchronously."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chorus.content.polling import poll_due_sources


class Command(BaseCommand):
    help = "Poll the RSS/Atom/JSON sources that are due (the worker does this every 5 minutes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run one pass and exit (the default)."
        )
        parser.add_argument(
            "--all", action="store_true", help="Poll every active source, due or not."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results = poll_due_sources(force=options["all"])
        new = sum(result.new_entries for result in results)
        failed = [result for result in results if not result.ok]
        self.stdout.write(
            f"{len(results)} source(s) polled, {new} new entries, {len(failed)} failed."
        )
        for result in failed:
            self.stdout.write(f"  source {result.source_id}: {result.error}")
