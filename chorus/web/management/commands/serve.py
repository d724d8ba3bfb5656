"""`chorus serve`: the web processes and the Huey worker together, supervised, until Ctrl-C.

The command binds the address itself, starts `--web-workers` web processes (waitress, see
chorus.web.server) that share the listening socket, and the worker (`chorus run_huey`). A
process that dies is started again after a delay that doubles with each quick failure (1 s,
2 s, 4 s… at most 30 s; back to 1 s once it has run a minute), with a line in the log; the
others keep running meanwhile, so a worker killed with SIGKILL does not take the site down.
A process that fails five times in a row within seconds of its start (a broken install, a
database that is not migrated) stops everything, with its exit code, for an operator to see.
SIGINT or SIGTERM stops every process (SIGTERM, then SIGKILL after 15 s).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
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


FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A process that ran this long before dying is restarted after FIRST_DELAY again.
STABLE_AFTER = 60.0
# A process that dies this soon after starting, this many times in a row, stops everything.
QUICK_FAILURE = 10.0
QUICK_FAILURES_TO_GIVE_UP = 5


def listen(bind: str) -> socket.socket:
    """A listening socket on HOST:PORT (an IPv6 host in brackets), inheritable by children."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--bind must be HOST:PORT, not {bind!r}.")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, int(port)), family=family, backlog=2048)
    except OSError as error:
        raise CommandError(f"Cannot listen on {bind}: {error.strerror or error}.") from error
    listener.set_inheritable(True)
    return listener


@dataclass
class Child:
    """One supervised process: how to start it, and its restart bookkeeping."""

    name: str
    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    quick_failures: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, pass_fds=self.pass_fds)  # noqa: S603
        self.started_at = time.monotonic()
        self.restart_at = None

    def stopped(self) -> int | None:
        """The exit code if the process has ended since it was started, else None."""
        if self.process is None or self.restart_at is not None:
            return None
        return self.process.poll()


class Command(BaseCommand):
    help = "Serve the web app (waitress) and run the background worker (Huey), supervised."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="Address for the web server.")
        parser.add_argument("--web-workers", type=int, default=2, help="Web processes.")
        parser.add_argument("--threads", type=int, default=4, help="Threads per web process.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["web_workers"] < 1 or options["threads"] < 1:
            raise CommandError("--web-workers and --threads must be at least 1.")
        listener = listen(options["bind"])
        fd = listener.fileno()
        children = [
            Child(
                f"web {number}" if options["web_workers"] > 1 else "web",
                [
                    sys.executable,
                    "-m",
                    "chorus.web.server",
                    "--fd",
                    str(fd),
                    "--threads",
                    str(options["threads"]),
                ],
                pass_fds=(fd,),
            )
            for number in range(1, options["web_workers"] + 1)
        ]
        if not options["no_worker"]:
            children.append(Child("worker", [sys.executable, "-m", "chorus", "run_huey"]))
        for child in children:
            child.start()

        stopping = False

        def stop(signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Chorus is serving at http://{options['bind']}/ — Ctrl-C stops it.")
        for line in setup_announcement(options["bind"]):
            self.stdout.write(line)
        self.stdout.flush()
        exit_code = 0
        while not stopping:
            now = time.monotonic()
            for child in children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.start()
                        self.stderr.write(f"Started the {child.name} process again.")
                    continue
                code = child.stopped()
                if code is None:
                    continue
                exit_code = self.schedule_restart(child, code, now)
                if exit_code:
                    stopping = True
                    break
            time.sleep(0.2)
        for child in children:
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        listener.close()
        self.stdout.write("Chorus stopped.")
        if exit_code:
            sys.exit(exit_code)

    def schedule_restart(self, child: Child, code: int, now: float) -> int:
        """Plan the restart of a process that ended; a non-zero result means give up."""
        lived = now - child.started_at
        if lived >= STABLE_AFTER:
            child.delay = FIRST_DELAY
        child.quick_failures = child.quick_failures + 1 if lived < QUICK_FAILURE else 0
        if child.quick_failures >= QUICK_FAILURES_TO_GIVE_UP:
            self.stderr.write(
                f"The {child.name} process stopped (exit {code}) {child.quick_failures} times "
                "in a row within seconds of starting; stopping Chorus."
            )
            return code or 1
        self.stderr.write(
            f"The {child.name} process stopped (exit {code}); "
            f"starting it again in {child.delay:g} s."
        )
        child.restart_at = now + child.delay
        child.delay = min(MAX_DELAY, child.delay * 2)
        return 0
