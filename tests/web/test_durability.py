"""No click lost: under load, kill -9 the web server; every redirect the client received
has its click stored once the journal is ingested."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import Process, chorus, clean_environ
from tests.servers import free_port, wait_for

WORKERS = 2  # gunicorn worker processes


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


def environment(tmp_path: Path) -> dict[str, str]:
    return clean_environ(
        SECRET_KEY="durability-test-secret-key-0123456789-abcdef",
        CHORUS_VAR_DIR=str(tmp_path),
    )


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1] if output.strip() else ""


def redirects(port: int, code: str) -> bool:
    """True once the application answers the link's redirect (HEAD is not a click)."""
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        probe.request("HEAD", f"/l/{code}")
        return probe.getresponse().status == 302
    except OSError:
        return False
    finally:
        probe.close()


def kill_9(process: Process) -> None:
    os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=10)


@dataclass
class Load:
    """Redirects a client received from a web server under load."""

    web: Process
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return self.received


@contextmanager
def web_under_load(environ: dict[str, str], code: str, clients: int) -> Iterator[Load]:
    """gunicorn on 127.0.0.1 with `clients` threads following the tracked link until the
    block ends; the threads and the server are stopped whatever happens."""
    port = free_port()
    web = Process(
        [
            *(sys.executable, "-m", "gunicorn", "chorus.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
        ],
        environ,
        f"web:{port}",
    )
    load = Load(web)
    stop = threading.Event()

    def follow() -> None:
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", f"/l/{code}", headers={"User-Agent": BROWSER})
                response = connection.getresponse()
                response.read()
                if response.status == 302:
                    with load.lock:
                        load.received += 1
            except OSError:
                pass  # the server is gone: this redirect was never received
            finally:
                connection.close()

    threads = [threading.Thread(target=follow) for _ in range(clients)]
    try:
        wait_for(lambda: redirects(port, code) or web.popen.poll() is not None, 120, "the web")
        assert web.popen.poll() is None, web.output()
        for thread in threads:
            thread.start()
        yield load
    finally:
        stop.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=10)
        web.stop()


def test_kill_9_under_load_loses_no_received_click(tmp_path: Path) -> None:
    environ = environment(tmp_path)
    chorus(["migrate", "--no-input", "-v0"], environ)
    code = last_line(chorus(["shell", "-c", SETUP], environ))
    with web_under_load(environ, code, clients=16) as load:
        # Kill it in the middle of the load, once more than 100 redirects were served.
        wait_for(lambda: load.count() > 100, 60, "the load to get going")
        kill_9(load.web)
    stored = int(last_line(chorus(["ingest-clicks"], environ)).split()[0])
    # Every received redirect was journaled before it was sent. A request being answered at
    # the moment of the kill may be journaled without its answer arriving: at most one per
    # worker process.
    assert load.received <= stored <= load.received + WORKERS, (load.received, stored)


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
    environ = environment(tmp_path)
    database_url, admin_url = scratch_database()
    if database_url:
        environ["DATABASE_URL"] = database_url
    shippers: list[Process] = []
    try:
        chorus(["migrate", "--no-input", "-v0"], environ)
        code = last_line(chorus(["shell", "-c", SETUP], environ))
        with web_under_load(environ, code, clients=8) as load:
            wait_for(lambda: load.count() > 50, 60, "the load to get going")
            for number in range(3):
                shipper = Process(
                    [
                        sys.executable,
                        "-m",
                        "chorus",
                        "ingest-clicks",
                        "--follow",
                        "--every",
                        "0.05",
                    ],
                    environ,
                    f"shipper-{number}",
                )
                shippers.append(shipper)

                # Once it has ingested something, it is in the middle of its passes: kill it.
                def ingesting(shipper: Process = shipper) -> bool:
                    assert shipper.popen.poll() is None, shipper.output()
                    return "click(s) ingested" in shipper.output()

                wait_for(ingesting, 120, "the ingesting process to ingest")
                kill_9(shipper)
            kill_9(load.web)

        figures = json.loads(last_line(chorus(["shell", "-c", CHECK], environ)))
        assert figures["clicks"] == figures["events"] == figures["rolled_up"], figures
        assert figures["same_as_recount"], figures
        # A request answered at the moment of the kill may be journaled without its answer
        # arriving: at most one per worker process.
        assert load.received <= figures["clicks"] <= load.received + WORKERS, (load, figures)
    finally:
        for shipper in shippers:
            shipper.stop()
        if database_url and admin_url:
            drop_database(database_url, admin_url)
