"""`chorus rebuild-rollups [--org SLUG] [--since DATE] [--dry-run]`: rebuild analytics rollups."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.analytics.rollups import first_event_day, rebuild
from chorus.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Rebuild the analytics rollups from raw events, for one organisation or all, from a "
        "day (default: the first event) to today. The worker keeps them up to date; use this "
        "after an import, a reorganisation of teams or a change of the audience midpoints."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation.")
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="Only from this day on.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be rebuilt, change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since takes a date as YYYY-MM-DD.") from None
        orgs = Organization.objects.order_by("slug")
        if options["org"]:
            orgs = orgs.filter(slug=options["org"])
            if not orgs.exists():
                raise CommandError(f"No organisation {options['org']!r}.")
        for org in orgs:
            if options["dry_run"]:
                first = since or first_event_day(org.pk)
                self.stdout.write(
                    f"{org.slug}: would rebuild from {first}" if first else f"{org.slug}: no events"
                )
                continue
            result = rebuild(org, since=since)
            self.stdout.write(
                f"{org.slug}: {result.days} day(s), {result.share_rows} share row(s), "
                f"{result.segment_rows} segment row(s) in {result.seconds:.1f} s"
            )
