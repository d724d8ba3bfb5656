"""`chorus health-check --org SLUG [--json]`: the programme's seven health checks."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from chorus.analytics.health import health_report
from chorus.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Run the programme-health checks (one per classic failure) for an organisation and "
        "print each status (ok, watch, act), its figures and advice. With --json: a list of "
        '{"key", "status", "figures", "advice"}, advice in English.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        # Machine-readable output is in English whatever the server's language; the text
        # output follows the active language.
        if options["json"]:
            with translation.override("en"):
                checks = health_report(org)
                payload = [check.as_json() for check in checks]
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for check in health_report(org):
            self.stdout.write(f"[{check.status.upper()}] {check.number}. {check.title}")
            for figure in check.figures:
                self.stdout.write(f"    {figure.label}: {figure.display}")
            self.stdout.write(f"    {check.advice}")
            if check.note:
                self.stdout.write(f"    ({check.note})")
