"""`chorus award-points`: bring points, badges and ended challenges up to date now."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from chorus.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Recompute points (all of them, or from --since), award badges and close ended "
        "challenges. The worker does it every 15 minutes for recent days and every night "
        "for everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation.")
        parser.add_argument(
            "--since", metavar="YYYY-MM-DD", help="Only days from this one on (default: all)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, change nothing."
        )

    def handle(
        self, *args: Any, org: str | None, since: str | None, dry_run: bool, **options: Any
    ) -> None:
        from chorus.engage.points import award_all

        if org is not None and not Organization.objects.filter(slug=org).exists():
            raise CommandError(f"No organisation with the slug {org!r}.")
        start = None
        if since is not None:
            try:
                day = parse_date(since)
            except ValueError:
                day = None
            if day is None:
                raise CommandError("--since takes a date: YYYY-MM-DD.")
            start = timezone.make_aware(datetime.combine(day, time.min))
        with transaction.atomic():
            report = award_all(since=start, org_slug=org)
            if dry_run:
                transaction.set_rollback(True)
        prefix = "Dry run, nothing saved: " if dry_run else ""
        self.stdout.write(f"{prefix}{report}.")
