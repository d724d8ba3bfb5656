"""`chorus scim-token --org SLUG [--name NAME]`: print a new SCIM token for the organisation.

The token is printed once, on standard output alone (so that a script can capture it);
only its hash is kept. Revoke it on the organisation's SCIM settings page.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from chorus.orgs.models import Organization
from chorus.scim.tokens import do_create_scim_token


class Command(BaseCommand):
    help = "Create a SCIM provisioning token for an organisation and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument(
            "--name", default="command line", help="A name to recognise the token by."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation has the slug {options['org']!r}.")
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("The name must have 1 to 100 characters.")
        _token, raw = do_create_scim_token(org, None, name)
        self.stdout.write(raw)
        self.stderr.write(
            f"SCIM base URL: <your address>{reverse('scim_root', args=[org.slug])} "
            "(the token is not shown again)."
        )
