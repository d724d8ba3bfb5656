"""Re-encrypt every stored secret with the newest key of CHORUS_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from chorus.sharing.models import Connection, MastodonApp


class Command(BaseCommand):
    help = "Re-encrypt social tokens and app secrets with the first key of CHORUS_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        with transaction.atomic():
            # Reading decrypts with any configured key; saving encrypts with the first one.
            for connection in Connection.objects.select_for_update().iterator():
                Connection.objects.filter(pk=connection.pk).update(
                    credentials=connection.credentials
                )
                total += 1
            for app in MastodonApp.objects.select_for_update().iterator():
                MastodonApp.objects.filter(pk=app.pk).update(secrets=app.secrets)
                total += 1
        self.stdout.write(f"{total} secrets re-encrypted with the newest key.")
