"""Locked periodic tasks survive an interrupted worker: their lease cannot outlive its holder.

A real worker is stopped (SIGTERM, SIGKILL) while ingesting clicks, lease held; a new worker
ingests them without anyone running a command, on Huey's SQLite storage and on Redis. The
lease helper itself is checked on every backend, and through each locked task.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import time_machine
from django.test import SimpleTestCase
from huey.exceptions import TaskLockedException

from chorus.analytics.tasks import apply_retention_nightly, emit_daily_figures, refresh_rollups
from chorus.chat.tasks import send_due_chat_messages
from chorus.engage.tasks import award_points
from chorus.lib import locks
from chorus.lib.locks import (
    LeaseState,
    LeaseStore,
    MemoryLeaseStore,
    RedisLeaseStore,
    SqliteLeaseStore,
    hold,
    lease_report,
    lease_store,
    new_holder,
)
from chorus.links.tasks import ingest_clicks
from chorus.web.tasks import HEARTBEAT, worker_heartbeat
from chorus.webhooks.tasks import deliver_webhooks
from tests.processes import chorus
from tests.servers import wait_for
from tests.web.test_durability import BROWSER, SETUP

# A database of Redis of our own: only it is flushed.
REDIS_URL = "redis://127.0.0.1:6379/7"
CLICKS = 40


def remote_holder() -> str:
    """A holder on another machine: it can only be waited out, never found dead."""
    return json.dumps({"host": "elsewhere", "pid": 1, "machine": "another-boot", "token": "x"})


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture(params=["sqlite", "redis", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeaseStore]:
    if request.param == "sqlite":
        yield SqliteLeaseStore(tmp_path / "huey.sqlite3")
    elif request.param == "redis":
        client = redis_client()
        client.flushdb()
        try:
            yield RedisLeaseStore(client, "chorus")
        finally:
            client.flushdb()
    else:
        yield MemoryLeaseStore()


def state_of(store: LeaseStore, name: str) -> LeaseState | None:
    return next((state for state in store.states() if state.name == name), None)


# --- The lease, on each backend ------------------------------------------------------------


def test_a_live_holder_renews_and_a_second_runner_is_refused(store: LeaseStore) -> None:
    ttl = 0.6
    with hold("job", every=60, ttl=ttl, store=store):
        first = state_of(store, "job")
        assert first is not None and first.expires_at is not None
        # Long after the first expiry would have passed, the holder still holds it.
        deadline = first.expires_at + 2 * ttl
        while time.time() < deadline:
            assert not store.acquire("job", new_holder(), ttl, 60)
            with pytest.raises(TaskLockedException), hold("job", every=60, ttl=ttl, store=store):
                pass
            time.sleep(0.05)
    # Released on completion: the next run proceeds at once, and the completion is noted.
    done = state_of(store, "job")
    assert done is not None and done.holder is None and done.completed_at is not None
    with hold("job", every=60, ttl=ttl, store=store):
        pass


def test_a_killed_holder_s_lease_expires_then_the_next_run_proceeds(store: LeaseStore) -> None:
    # A holder on another host that stopped renewing (killed): nobody can tell it is gone.
    assert store.acquire("job", remote_holder(), 0.5, 60)
    with pytest.raises(TaskLockedException), hold("job", every=60, store=store):
        pass
    ran = []

    def next_run() -> bool:
        try:
            with hold("job", every=60, store=store):
                ran.append(True)
        except TaskLockedException:
            return False
        return True

    wait_for(next_run, 10, "the expired lease to be taken")
    assert ran == [True]


def test_only_the_holder_renews_or_releases(store: LeaseStore) -> None:
    mine, other = new_holder(), new_holder()
    assert store.acquire("job", mine, 30, 60)
    assert not store.renew("job", other, 30)
    store.release("job", other, completed=True)
    state = state_of(store, "job")
    assert state is not None and state.holder == mine and state.completed_at is None
    assert store.renew("job", mine, 30)


def test_a_dead_holder_on_this_machine_is_taken_over_at_once(store: LeaseStore) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stat = locks._process_start(child.pid)
        assert stat is not None
        holder = json.dumps(
            {
                "host": "here",
                "pid": child.pid,
                "machine": locks._machine(),
                "started": stat[1],
                "token": "child",
            }
        )
        assert store.acquire("job", holder, 60, 60)
        # Alive: refused.
        with pytest.raises(TaskLockedException), hold("job", every=60, store=store):
            pass
    finally:
        child.kill()
        child.wait()
    with hold("job", every=60, store=store):  # gone: no need to wait for its minute
        state = state_of(store, "job")
        assert state is not None and state.holder != holder


# --- Each locked task runs under its lease -------------------------------------------------


LOCKED_TASKS = [
    ("ingest-clicks", ingest_clicks),
    ("analytics-rollups", refresh_rollups),
    ("award-points", award_points),
    ("deliver-webhooks", deliver_webhooks),
    ("webhooks-daily-figures", emit_daily_figures),
    (HEARTBEAT, worker_heartbeat),
    ("send-chat-messages", send_due_chat_messages),
    ("retention", apply_retention_nightly),
]


def test_every_leased_task_is_checked_here() -> None:
    # A task given a lease and not added above would go untested (the apps' task modules
    # are all imported by the worker's autodiscovery at start-up).
    assert set(locks.LEASED) == {name for name, _ in LOCKED_TASKS}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "task"), LOCKED_TASKS, ids=[name for name, _ in LOCKED_TASKS])
def test_each_locked_task_waits_for_a_live_holder_and_not_for_a_dead_one(
    name: str, task: object
) -> None:
    store = lease_store()  # the test settings run tasks inline: leases in memory
    blocker = remote_holder()
    assert store.acquire(name, blocker, 60, 60)
    try:
        with pytest.raises(TaskLockedException):
            task.call_local()  # type: ignore[attr-defined]
        state = state_of(store, name)
        assert state is not None and state.holder == blocker
    finally:
        store.release(name, blocker, completed=False)
    # The holder killed long ago: its lease has expired, the task runs and completes.
    assert store.acquire(name, blocker, 60, 60)
    try:
        with time_machine.travel(time.time() + 61, tick=False):
            task.call_local()  # type: ignore[attr-defined]
            state = state_of(store, name)
            assert state is not None and state.holder is None
            assert state.completed_at == pytest.approx(time.time())
    finally:
        # The in-memory store lives as long as the test process: a heartbeat left in it would
        # age into "no heartbeat" for the /healthz tests that follow.
        if isinstance(store, locks.MemoryLeaseStore):
            store._leases.pop(name, None)


# --- What an operator sees -----------------------------------------------------------------


def test_the_report_says_stuck_when_held_past_expiry_or_long_without_completion() -> None:
    now = 1_000_000.0
    store = MemoryLeaseStore()
    held_by_the_dead = LeaseState("a", remote_holder(), now - 5, now - 65, now - 70, 60)
    late = LeaseState("b", None, None, now - 30, now - 3 * 60 - 1, 60)
    running = LeaseState("c", remote_holder(), now + 40, now - 20, now - 80, 60)
    fine = LeaseState("d", None, None, now - 70, now - 60, 60)
    never = LeaseState("e", None, None, None, None, 60)
    store._leases = {state.name: state for state in (held_by_the_dead, late, running, fine, never)}
    report = lease_report(store, now=now)
    assert {name: entry["state"] for name, entry in report.items()} == {
        "a": "stuck",
        "b": "stuck",
        "c": "running",
        "d": "ok",
        "e": "not_run",
    }
    assert report["a"]["reason"] == "its lease is held past its expiry"
    assert report["a"]["holder"] == "elsewhere pid 1"
    assert report["b"]["reason"] == "not completed in 3 periods"
    assert report["c"]["lease_expires_in"] == 40


class HealthzTaskStateTests(SimpleTestCase):
    databases = {"default"}

    def test_healthz_stays_200_and_shows_a_stuck_task(self) -> None:
        store = lease_store()
        holder = remote_holder()
        assert store.acquire("healthz-probe", holder, 60, 60)
        try:
            with time_machine.travel(time.time() + 120, tick=False):
                response = self.client.get("/healthz")
            self.assertEqual(response.status_code, 200)
            body = response.json()
            self.assertEqual(body["status"], "ok")
            self.assertEqual(body["tasks"]["healthz-probe"]["state"], "stuck")
            self.assertEqual(
                body["tasks"]["healthz-probe"]["reason"], "its lease is held past its expiry"
            )
        finally:
            store.release("healthz-probe", holder, completed=True)
        body = self.client.get("/healthz").json()
        self.assertEqual(body["tasks"]["healthz-probe"]["state"], "ok")


# --- A real worker, interrupted while it ingests -------------------------------------------

# The first worker stops in the middle of ingestion: its clicks are stored but not committed,
# the lease is held, and it says so in a file. Test-only: the patch lives in this string.
STALLING_WORKER = """
import os, threading
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
from chorus.links import ingest
store = ingest._store
def stall_mid_ingestion(clicks):
    touched = store(clicks)
    Path(os.environ["TEST_ONLY_STALL_MARKER"]).write_text(str(len(clicks)))
    threading.Event().wait()
    return touched
ingest._store = stall_mid_ingestion
call_command("run_huey")
"""

WRITE_CLICKS = """
import time
from chorus.links.journal import journal
from chorus.links.models import TrackedLink
link = TrackedLink.objects.get()
for number in range({clicks}):
    journal().write({{
        "e": f"event-{{number}}", "l": link.pk, "o": link.org_id, "t": time.time(),
        "v": f"visitor-{{number}}", "u": "{agent}", "r": "", "f": False,
    }})
"""


def stored_clicks(database: Path) -> int:
    with sqlite3.connect(database, timeout=10) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM links_click").fetchone()[0])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_a_worker_stopped_mid_ingestion_leaves_no_lock_behind(
    tmp_path: Path, backend: str, stop_signal: signal.Signals
) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    environ.update(
        SECRET_KEY="locks-test-secret-key-0123456789-abcdefghijk",
        CHORUS_VAR_DIR=str(tmp_path),
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_LOG_LEVEL="WARNING",
        TEST_ONLY_STALL_MARKER=str(tmp_path / "stalled"),
    )
    if backend == "redis":
        environ["REDIS_URL"] = REDIS_URL
        redis_client().flushdb()
        lease_backend: LeaseStore = RedisLeaseStore(redis_client(), "chorus")
    else:
        lease_backend = SqliteLeaseStore(tmp_path / "huey.sqlite3")
    database = tmp_path / "chorus.sqlite3"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        chorus(["migrate", "--no-input", "-v0"], environ)
        chorus(["shell", "-c", SETUP], environ)
        chorus(["shell", "-c", WRITE_CLICKS.format(clicks=CLICKS, agent=BROWSER)], environ)

        def worker(argv: list[str]) -> subprocess.Popen[bytes]:
            process = subprocess.Popen(
                [sys.executable, *argv],
                env=environ,
                cwd=Path(__file__).resolve().parents[2],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            workers.append(process)
            return process

        first = worker(["-c", STALLING_WORKER])
        wait_for((tmp_path / "stalled").exists, 60, "the first worker to start ingesting")
        lease = state_of(lease_backend, "ingest-clicks")
        assert lease is not None and lease.holder is not None
        assert json.loads(lease.holder)["pid"] == first.pid
        assert stored_clicks(database) == 0  # mid-way: stored, not committed

        os.kill(first.pid, stop_signal)
        first.wait(timeout=30)
        # What used to freeze ingestion: the lock is still there after the worker is gone.
        left = state_of(lease_backend, "ingest-clicks")
        assert left is not None and left.holder == lease.holder

        worker(["-m", "chorus", "run_huey"])
        wait_for(lambda: stored_clicks(database) == CLICKS, 60, "the new worker to ingest")
        after = wait_for(
            lambda: (s := state_of(lease_backend, "ingest-clicks")) and s.completed_at and s,
            30,
            "the ingestion to complete",
        )
        assert isinstance(after, LeaseState) and after.holder is None
    finally:
        for process in workers:
            stop(process)
        if backend == "redis":
            redis_client().flushdb()


def test_a_failed_run_frees_the_lease_without_noting_a_completion() -> None:
    # The renewal thread ends with the block, whatever the block does.
    store = MemoryLeaseStore()
    before = threading.active_count()
    with pytest.raises(RuntimeError), hold("job", every=60, ttl=0.3, store=store):
        raise RuntimeError("the task failed")
    assert threading.active_count() == before
    state = state_of(store, "job")
    assert state is not None and state.holder is None and state.completed_at is None
