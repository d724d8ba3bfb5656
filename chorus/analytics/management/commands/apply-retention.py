"""`chorus apply-retention [--dry-run]`: blank and delete what organisations keep no longer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chorus.analytics.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Blank share texts and delete raw clicks and audit entries older than each "
        "organisation's retention periods (the worker does it every night)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        removed = apply_retention(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{removed.texts} share text(s) {verb} blanked, {removed.clicks} click(s) and "
            f"{removed.audit_entries} audit entr(ies) {verb} deleted."
        )
