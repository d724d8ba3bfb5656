"""`chorus token create --email EMAIL [--org SLUG]`: print a new API token for scripts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.api.tokens import do_create_token
from chorus.orgs.models import Membership


class Command(BaseCommand):
    help = "Manage personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it.")
        create.add_argument("--email", required=True, help="The token owner's e-mail address.")
        create.add_argument(
            "--org", help="The organisation's slug (needed when the person has several)."
        )
        create.add_argument("--name", default="command line", help="A name to recognise it by.")

    def handle(self, *args: Any, **options: Any) -> None:
        memberships = (
            Membership.objects.active()
            .select_related("org", "user")
            .filter(user__email__iexact=options["email"].strip())
        )
        if options["org"]:
            memberships = memberships.filter(org__slug=options["org"])
        found = list(memberships[:2])
        if not found:
            raise CommandError("No active membership matches this e-mail address and organisation.")
        if len(found) > 1:
            raise CommandError("This person belongs to several organisations: pass --org SLUG.")
        _token, raw = do_create_token(found[0], options["name"])
        self.stdout.write(raw)
