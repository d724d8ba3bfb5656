"""`chorus sync-engagement --once`: read the due posts' counts from their networks now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Read the engagement counts of published posts that are due, in this process "
        "(the worker does this every 15 minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run one pass and exit (the default)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say how many posts are due, read none."
        )
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, dry_run: bool, limit: int, **options: Any) -> None:
        from chorus.sharing.metrics import due_shares, sync_due

        if dry_run:
            due = due_shares(timezone.now()).values("network").annotate(n=Count("pk"))
            counts = {row["network"]: row["n"] for row in due.order_by("network")}
            total = sum(counts.values())
            detail = ", ".join(f"{network}: {n}" for network, n in counts.items())
            self.stdout.write(f"{total} post(s) due" + (f" ({detail})." if detail else "."))
            return
        report = sync_due(limit=limit)
        self.stdout.write(
            f"{report.snapshots} snapshot(s) stored, {report.postponed} postponed, "
            f"{report.skipped} without counts, {len(report.reconnect)} connection(s) "
            "to reconnect."
        )
