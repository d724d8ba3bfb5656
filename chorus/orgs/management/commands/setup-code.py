"""`chorus setup-code`: print a fresh one-time code for the set-up page of an empty instance."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chorus.orgs.setup import SETUP_CODE_LIFETIME, instance_is_empty, issue_setup_code


class Command(BaseCommand):
    help = (
        "Print a new one-time code for the set-up page (/setup/) of an instance that has no "
        "organisation yet; any earlier code stops working."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not instance_is_empty():
            raise CommandError(
                "This instance already has an organisation: there is nothing to set up. "
                "Create another one with `chorus create-organisation`."
            )
        code = issue_setup_code()
        hours = int(SETUP_CODE_LIFETIME.total_seconds() // 3600)
        url = settings.CHORUS_BASE_URL.rstrip("/") + "/setup/"
        self.stdout.write(f"Set-up code: {code}")
        self.stdout.write(f"Open {url} and enter it (valid {hours} hours, once).")
