"""`chorus serve`: run the web server and the Huey worker together until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from chorus.orgs.setup import SETUP_CODE_LIFETIME, instance_is_empty, issue_setup_code


def setup_announcement(bind: str) -> list[str]:
    """On an instance with no organisation, lines giving a fresh set-up code and its page.

    Only the code's hash is stored: the console is the one place it is shown (an operator
    who missed it runs `chorus setup-code`).
    """
    try:
        if not instance_is_empty():
            return []
        code = issue_setup_code()
    except DatabaseError:  # not migrated yet: `chorus migrate` first, pages fail anyway
        return []
    host = bind.rpartition(":")[0]
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 - reading the bind, not binding
        base = settings.CHORUS_BASE_URL.rstrip("/")
    else:
        base = f"http://{bind}"
    hours = int(SETUP_CODE_LIFETIME.total_seconds() // 3600)
    return [
        "",
        "This Chorus has no organisation yet. Set it up at:",
        f"  {base}/setup/",
        f"with the one-time set-up code:  {code}",
        f"(valid {hours} hours; `chorus setup-code` prints a new one)",
        "",
    ]


class Command(BaseCommand):
    help = "Serve the web app (gunicorn) and run the background worker (Huey) together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address for the web server.")
        parser.add_argument("--web-workers", type=int, default=2, help="Web processes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "chorus.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                "--graceful-timeout",
                "10",
                "--access-logfile",
                "-",
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [sys.executable, "-m", "chorus", "run_huey"]
        processes = {name: subprocess.Popen(argv) for name, argv in commands.items()}  # noqa: S603

        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Chorus is serving at http://{options['bind']}/ — Ctrl-C stops it.")
        for line in setup_announcement(options["bind"]):
            self.stdout.write(line)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"The {name} process stopped (exit {process.returncode}).")
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.3)
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        self.stdout.write("Chorus stopped.")
        if exit_code:
            sys.exit(exit_code)
