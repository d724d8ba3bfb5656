"""`chorus ingest-clicks [--follow [--every SECONDS]] [--recount [--since DATE]]`."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from chorus.links.ingest import ingest, recount_days

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Ingest the click journal now (the worker does it every minute). With --follow, keep "
        "ingesting this host's journal every few seconds until stopped: run it on every web "
        "host whose journal no worker on the same host reads. --recount recomputes the daily "
        "rollups from the stored clicks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow", action="store_true", help="Keep ingesting until SIGTERM or SIGINT."
        )
        parser.add_argument(
            "--every", type=float, default=5.0, help="Seconds between passes with --follow."
        )
        parser.add_argument(
            "--recount",
            action="store_true",
            help="Recompute the daily rollups from the stored clicks (after ingesting).",
        )
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="With --recount: from this day.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            if not options["recount"]:
                raise CommandError("--since goes with --recount.")
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since takes a date as YYYY-MM-DD.") from None
        if options["every"] <= 0:
            raise CommandError("--every takes a positive number of seconds.")
        if options["follow"]:
            if options["recount"]:
                raise CommandError("--recount and --follow do not go together.")
            self.follow(options["every"])
            return
        self.stdout.write(f"{ingest()} click(s) ingested.")
        if options["recount"]:
            self.stdout.write(f"{recount_days(since)} daily rollup row(s) recounted.")

    def follow(self, every: float) -> None:
        # A stop signal ends the loop between passes; a pass cut short (kill -9) leaves only an
        # uncommitted transaction, and the next pass reads the same lines again.
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            close_old_connections()
            try:
                count = ingest()
            except Exception:  # the database is away: say so, try again at the next pass
                logger.exception("Click ingestion failed; retrying in %s s.", every)
                count = 0
            if count:
                self.stdout.write(f"{count} click(s) ingested.")
                self.stdout.flush()
            stop.wait(every)
