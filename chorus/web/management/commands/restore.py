"""`chorus restore PATH`: put a backup made by `chorus backup` in this instance's places."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.web.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `chorus backup` into this instance's CHORUS_VAR_DIR (which "
        "must hold no database), then run `chorus migrate` and start Chorus."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup's directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(options["path"].resolve())
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {len(manifest['files'])} file(s) from a backup of "
            f"{manifest['created_at']}. Next: `chorus migrate`, then start Chorus; the worker "
            "ingests the restored click journal (or run `chorus ingest-clicks`)."
        )
