"""`chorus backup PATH`: a consistent copy of the embedded profile's data while it serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.web.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the embedded profile (database, task queue, click journal, secret key, "
        "uploads) into PATH, a new directory, while Chorus keeps serving."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="A new directory for the backup.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["path"].resolve())
        except BackupError as error:
            raise CommandError(str(error)) from None
        size = sum(entry["size"] for entry in manifest["files"].values())
        self.stdout.write(
            f"Backed up {len(manifest['files'])} file(s), {size} bytes, to {options['path']}."
        )
