"""Re-encrypt every stored secret with the newest key of CHORUS_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from chorus.lib.crypto import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt social tokens, app secrets, single sign-on client secrets and webhook "
        "signing secrets with the first key of CHORUS_ENCRYPTION_KEYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            total = rotate_all()
        self.stdout.write(f"{total} secrets re-encrypted with the newest key.")
