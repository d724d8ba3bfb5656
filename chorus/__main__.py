"""The `chorus` console script: Django's manage.py for this project."""

from __future__ import annotations

import os
import sys

# Commands spelt with hyphens on the console; Django names them after their module.
COMMAND_ALIASES = {
    "create-organisation": "create_organisation",
    "setup-code": "setup_code",
}


def resolve_aliases(argv: list[str]) -> list[str]:
    """Replace a hyphenated command name (also after `help`) by its module's name."""
    argv = list(argv)
    position = 2 if len(argv) > 2 and argv[1] == "help" else 1
    if len(argv) > position:
        argv[position] = COMMAND_ALIASES.get(argv[position], argv[position])
    return argv


def main() -> None:
    """Run a Django management command with Chorus' settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(resolve_aliases(sys.argv))


if __name__ == "__main__":
    main()
