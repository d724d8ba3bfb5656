"""`chorus create-organisation`: create an organisation and print its first admin's link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.orgs.setup import do_provision_organization


class Command(BaseCommand):
    help = (
        "Create an organisation whose first admin is --admin-email, and print a one-time link "
        "where that person chooses a password (nothing is e-mailed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="Short name in addresses: /o/<slug>/.")
        parser.add_argument("--name", required=True, help="The organisation's name.")
        parser.add_argument("--admin-email", required=True, help="The first admin's e-mail.")
        parser.add_argument(
            "--language",
            default="en",
            choices=[code for code, _name in settings.LANGUAGES],
            help="The organisation's default language (default: en).",
        )
        parser.add_argument(
            "--time-zone",
            default="UTC",
            help="An IANA time zone, e.g. Europe/Paris (default: UTC).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = do_provision_organization(
                name=options["name"],
                slug=options["slug"],
                admin_email=options["admin_email"],
                language=options["language"],
                time_zone=options["time_zone"],
                send=False,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        org = result.org
        self.stdout.write(f"Organisation '{org.name}' created at /o/{org.slug}/.")
        self.stdout.write(
            f"Give {result.invitation.email} this one-time link to choose a password "
            f"and sign in as its admin:"
        )
        self.stdout.write(f"  {result.accept_url}")
