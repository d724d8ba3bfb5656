"""`chorus demo`: load the demo organisation (idempotent) and print its logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from chorus.web.demo import DEMO_LOGINS, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation Acme (running it again adds nothing twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=settings.CHORUS_DEMO_PASSWORD,
            help="Password of the demo people (default: CHORUS_DEMO_PASSWORD).",
        )
        parser.add_argument(
            "--if-enabled",
            action="store_true",
            help="Do nothing when CHORUS_DEMO is off (what `make run` uses).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_enabled"] and not settings.CHORUS_DEMO:
            self.stdout.write("CHORUS_DEMO is off: no demo organisation is loaded.")
            return
        result = load_demo(options["password"])
        if result.created:
            self.stdout.write(
                f"Demo organisation '{result.org.name}' ready ({result.created} rows added)."
            )
        else:
            self.stdout.write(f"Demo organisation '{result.org.name}' already loaded.")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {options['password']})")
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {role.label!s:<20} {email}")
        self.stdout.write("")
