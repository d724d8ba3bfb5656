"""No click lost: under load, kill -9 the web server; every redirect the client received
has its click stored once the journal is ingested."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chorus(args: list[str], environ: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "chorus", *args],
        env=environ,
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SETUP = """
from django.contrib.auth import get_user_model
from chorus.orgs.actions import do_create_organization
from chorus.orgs.models import Membership
from chorus.content.models import ContentItem
from chorus.links.actions import link_for
user = get_user_model().objects.create_user("amb@example.com", "x" * 12)
org = do_create_organization("Load", "load", user)
item = ContentItem.objects.create(
    org=org, title="t", url="https://example.com/a", status="published"
)
from chorus.program.models import Participation
member = Membership.objects.get(org=org, user=user)
Participation.objects.create(org=org, membership=member, status="active")
print(link_for(member, "x", item=item).code)
"""


def test_kill_9_under_load_loses_no_received_click(tmp_path: Path) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    environ.update(
        SECRET_KEY="durability-test-secret-key-0123456789-abcdef",
        CHORUS_VAR_DIR=str(tmp_path),
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_LOG_LEVEL="WARNING",
    )
    chorus(["migrate", "--no-input", "-v0"], environ)
    code = chorus(["shell", "-c", SETUP], environ)
    port = free_port()
    workers = 2
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chorus.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Wait for the application, not only the port: the first redirect answered.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            probe.request("HEAD", f"/l/{code}")  # HEAD is not a click
            if probe.getresponse().status == 302:
                break
        except OSError:
            time.sleep(0.2)
        finally:
            probe.close()

    received = 0
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        nonlocal received
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request(
                    "GET",
                    f"/l/{code}",
                    headers={"User-Agent": BROWSER},
                )
                response = connection.getresponse()
                response.read()
                if response.status == 302:
                    with lock:
                        received += 1
            except OSError:
                pass  # the server is gone: this redirect was never received
            finally:
                connection.close()

    threads = [threading.Thread(target=load) for _ in range(16)]
    for thread in threads:
        thread.start()
    # Kill it in the middle of the load, once more than 100 redirects were served.
    deadline = time.monotonic() + 60
    while received <= 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received > 100, "the load did not get going"
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)

    stored_line = chorus(["ingest-clicks"], environ)
    stored = int(stored_line.split()[0])
    # Every received redirect was journaled before it was sent. A request being answered at
    # the moment of the kill may be journaled without its answer arriving: at most one per
    # worker process.
    assert received <= stored <= received + workers, (received, stored)


CHECK = """
import json
from django.db.models import Sum
from chorus.links.ingest import ingest, recount_days
from chorus.links.models import Click, LinkDay
def rollups():
    fields = ("link_id", "day", "clicks", "bot_clicks", "unique_visitors")
    return sorted(LinkDay.objects.values_list(*fields))
ingest()
incremental = rollups()
recount_days()
print(json.dumps({
    "clicks": Click.objects.count(),
    "events": Click.objects.values("event_id").distinct().count(),
    "rolled_up": LinkDay.objects.aggregate(n=Sum("clicks") + Sum("bot_clicks"))["n"] or 0,
    "same_as_recount": incremental == rollups(),
}))
"""


def scratch_database() -> tuple[str | None, str | None]:
    """A PostgreSQL database of its own when the suite runs on PostgreSQL (URL, admin URL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None, None
    import psycopg

    server, database = url.split("?", 1)[0].rsplit("/", 1)
    name = f"{database}_kill9_{os.getpid()}"
    admin_url = f"{server}/postgres"  # the suite's database need not exist yet
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}", admin_url


def drop_database(url: str, admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def test_kill_9_of_web_server_and_ingesting_process_counts_every_click_once(
    tmp_path: Path,
) -> None:
    """The scale-out arrangement: gunicorn appends to the local journal and `chorus
    ingest-clicks --follow` on the same host moves it into the database. Kill -9 the ingesting
    process three times while it works under load, then the web server: every redirect the
    client received is stored exactly once, and the rollups added up batch by batch equal a
    recount."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    environ.update(
        SECRET_KEY="durability-test-secret-key-0123456789-abcdef",
        CHORUS_VAR_DIR=str(tmp_path),
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_LOG_LEVEL="WARNING",
    )
    database_url, admin_url = scratch_database()
    if database_url:
        environ["DATABASE_URL"] = database_url
    processes: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        chorus(["migrate", "--no-input", "-v0"], environ)
        code = chorus(["shell", "-c", SETUP], environ)
        port = free_port()
        workers = 2
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "chorus.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            ],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        processes.append(server)
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "the web server did not start"
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                probe.request("HEAD", f"/l/{code}")  # HEAD is not a click
                if probe.getresponse().status == 302:
                    break
            except OSError:
                time.sleep(0.2)
            finally:
                probe.close()

        received = 0
        lock = threading.Lock()

        def load() -> None:
            nonlocal received
            while not stop.is_set():
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    connection.request("GET", f"/l/{code}", headers={"User-Agent": BROWSER})
                    response = connection.getresponse()
                    response.read()
                    if response.status == 302:
                        with lock:
                            received += 1
                except OSError:
                    pass  # the server is gone: this redirect was never received
                finally:
                    connection.close()

        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while received <= 50:
            assert time.monotonic() < deadline, "the load did not get going"
            time.sleep(0.05)
        for _ in range(3):
            log = tmp_path / f"shipper-{len(processes)}.log"
            with log.open("wb") as output:
                shipper = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "chorus",
                        "ingest-clicks",
                        "--follow",
                        "--every",
                        "0.05",
                    ],
                    env=environ,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            processes.append(shipper)
            # Once it has ingested something, it is in the middle of its passes: kill it.
            deadline = time.monotonic() + 120
            while b"click(s) ingested" not in log.read_bytes():
                assert shipper.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            os.killpg(shipper.pid, signal.SIGKILL)
            shipper.wait(timeout=10)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

        figures = json.loads(chorus(["shell", "-c", CHECK], environ))
        assert figures["clicks"] == figures["events"] == figures["rolled_up"], figures
        assert figures["same_as_recount"], figures
        # A request answered at the moment of the kill may be journaled without its answer
        # arriving: at most one per worker process.
        assert received <= figures["clicks"] <= received + workers, (received, figures)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if database_url and admin_url:
            drop_database(database_url, admin_url)
