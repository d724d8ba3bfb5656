"""The `chorus` console script: Django's manage.py for this project."""

from __future__ import annotations

import os
import sys

# Chorus' own commands are spelt with hyphens (`chorus publish-due`). The underscore names
# they had before are still accepted for one release, with a notice on stderr; remove this
# table in the release after 0.x (README, "Commands").
COMMAND_ALIASES = {
    "create_organisation": "create-organisation",
    "setup_code": "setup-code",
    "poll_sources": "poll-sources",
    "ingest_clicks": "ingest-clicks",
}


def resolve_aliases(argv: list[str]) -> list[str]:
    """Replace an old command name (also after `help`) by its current one, saying so."""
    argv = list(argv)
    position = 2 if len(argv) > 2 and argv[1] == "help" else 1
    if len(argv) > position and argv[position] in COMMAND_ALIASES:
        old, new = argv[position], COMMAND_ALIASES[argv[position]]
        print(f"`chorus {old}` is now `chorus {new}`; the old name will go.", file=sys.stderr)
        argv[position] = new
    return argv


def main() -> None:
    """Run a Django management command with Chorus' settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(resolve_aliases(sys.argv))


if __name__ == "__main__":
    main()
