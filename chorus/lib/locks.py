"""Task leases: locks for periodic tasks that cannot outlive the process holding them.

Why not `HUEY.lock_task`: Huey's lock is a key written when the task starts and deleted when
it ends. A worker stopped by SIGTERM (Huey's thread workers are daemon threads, so the task
never reaches its `finally`) or by SIGKILL leaves the key behind, and every later run logs
"not run, unable to acquire lock" until someone deletes it: click ingestion once stayed
frozen for 40 minutes that way. Huey's `flush_locks` at start-up is no cure in the scale-out
profile, where M workers share one Redis: a starting worker would free a lock a live worker
still holds. Huey 3.5's `lock_task(ttl=...)` is no cure either: its TTL is not renewed (a run
longer than the TTL loses its lock), release deletes the key whoever holds it, SQLite storage
refuses a TTL, and Redis storage needs hash-field TTLs (Redis 7.4+).

The design, `lease_task(name, every=...)` in place of `HUEY.lock_task(name)`:

- A **lease** is a record (name → holder token, expiry) in the same backend as Huey's queue,
  so it is shared by exactly the workers that share the queue: a row in a `chorus_lease` table
  of Huey's SQLite file in the embedded profile (one host; `BEGIN IMMEDIATE` makes the
  check-and-take atomic), a Redis key taken with `SET NX PX` in the scale-out profile (Redis
  expires it itself). Not the Django database: on SQLite a renewal would wait behind the very
  ingestion transaction it keeps alive.
- The holder **renews** it every `ttl / 3` seconds from a small thread while the task runs,
  so a long run keeps it; renewal, release and take-over compare the holder's token
  (a Lua script on Redis, a conditional UPDATE on SQLite), so nobody frees another's lease.
- A holder that dies stops renewing: its lease **expires** after at most `ttl` seconds
  (60 by default) and the next run proceeds. On the holder's own machine a worker need not
  wait: the token names the holder's boot, PID namespace, PID and process start time, and a
  lease whose holder process is gone (or a zombie) is taken over at once, atomically (only
  if the token is still the dead one's). So after `make run` is interrupted, the next worker
  ingests in its first run; across hosts the expiry is the rule.
- A task refused because the lease is held raises Huey's `TaskLockedException`, as before
  (Huey logs "not run, unable to acquire lock <name>").
- Each lease also keeps when its task last started and last completed, and how often it is
  meant to run (`every`), so `/healthz` can report a task as "stuck" when its lease is held
  past its expiry or when it has not completed for `STUCK_AFTER_PERIODS` periods
  (`lease_report`).

In immediate mode (the test suite runs tasks inline on Huey's memory storage) the leases live
in the process's memory.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

logger = logging.getLogger(__name__)

DEFAULT_TTL = 60.0
# A task that has not completed for this many of its periods is reported as stuck.
STUCK_AFTER_PERIODS = 3

F = TypeVar("F", bound=Callable[..., Any])


# --- Who holds a lease -----------------------------------------------------------------------


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _process_start(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from /proc (Linux)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[0], fields[19]


def _machine() -> str | None:
    """This boot of this machine and this PID namespace, or None where that is unknown."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}" if boot else None


def new_holder() -> str:
    """A token naming this process and this acquisition (a JSON object, readable by people)."""
    pid = os.getpid()
    started = _process_start(pid)
    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": pid,
            "machine": _machine(),
            "started": started[1] if started else None,
            "token": uuid.uuid4().hex,
        },
        separators=(",", ":"),
    )


def holder_is_gone(holder: str) -> bool:
    """Whether the holder is known for certain to be a process of this machine that has ended.

    Only a holder of this very boot and PID namespace can be checked; any doubt (another
    host, an unreadable /proc, a process of another user) counts as alive, and the lease is
    left to expire.
    """
    try:
        identity = json.loads(holder)
        pid = int(identity["pid"])
    except (ValueError, KeyError, TypeError):
        return False
    machine = _machine()
    if machine is None or identity.get("machine") != machine:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    process = _process_start(pid)
    if process is None:
        return False
    state, started = process
    # A zombie has finished its work; a different start time means the PID was reused.
    return state in ("Z", "X") or started != identity.get("started")


def describe_holder(holder: str | None) -> str | None:
    """'host pid N' for people to read."""
    if holder is None:
        return None
    try:
        identity = json.loads(holder)
        return f"{identity['host']} pid {identity['pid']}"
    except (ValueError, KeyError, TypeError):
        return holder


# --- Where leases live ---------------------------------------------------------------------


@dataclass(frozen=True)
class LeaseState:
    """What a backend knows about one lease; times are Unix timestamps."""

    name: str
    holder: str | None = None
    expires_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None
    every: float | None = None


class LeaseStore(Protocol):
    def acquire(
        self, name: str, holder: str, ttl: float, every: float, replacing: str | None = None
    ) -> bool:
        """Take the lease if it is free or expired (or still held by `replacing`)."""

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Extend the lease if `holder` still holds it."""

    def release(self, name: str, holder: str, completed: bool) -> None:
        """Free the lease if `holder` still holds it; note the completion time if completed."""

    def states(self) -> list[LeaseState]:
        """Every lease this backend has seen."""


class SqliteLeaseStore:
    """Leases as rows of a table in Huey's SQLite file (one host, several processes)."""

    def __init__(self, filename: str | Path) -> None:
        self.filename = str(filename)
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS chorus_lease ("
                "name TEXT PRIMARY KEY, holder TEXT, expires_at REAL, "
                "started_at REAL, completed_at REAL, every REAL)"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: the renewal thread and the task never share one, and
        # nothing is inherited across a fork.
        db = sqlite3.connect(self.filename, timeout=10, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def acquire(
        self, name: str, holder: str, ttl: float, every: float, replacing: str | None = None
    ) -> bool:
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                "SELECT holder, expires_at FROM chorus_lease WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] is not None and row[1] > now and row[0] != replacing:
                return False
            db.execute(
                "INSERT INTO chorus_lease (name, holder, expires_at, started_at, every) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "holder = excluded.holder, expires_at = excluded.expires_at, "
                "started_at = excluded.started_at, every = excluded.every",
                (name, holder, now + ttl, now, every),
            )
            return True

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE chorus_lease SET expires_at = ? WHERE name = ? AND holder = ?",
                (time.time() + ttl, name, holder),
            )
            return cursor.rowcount == 1

    def release(self, name: str, holder: str, completed: bool) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE chorus_lease SET holder = NULL, expires_at = NULL, "
                "completed_at = CASE WHEN ? THEN ? ELSE completed_at END "
                "WHERE name = ? AND holder = ?",
                (completed, time.time(), name, holder),
            )

    def states(self) -> list[LeaseState]:
        db = sqlite3.connect(self.filename, timeout=10)
        try:
            rows = db.execute(
                "SELECT name, holder, expires_at, started_at, completed_at, every "
                "FROM chorus_lease ORDER BY name"
            ).fetchall()
        finally:
            db.close()
        return [LeaseState(*row) for row in rows]


# KEYS[1] the lease; ARGV[1] the expected holder; ARGV[2] the new holder; ARGV[3] the TTL in ms.
_REDIS_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) and 1 or 0
end
return 0
"""
_REDIS_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_REDIS_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLeaseStore:
    """Leases as Redis keys that expire by themselves, shared by every worker of the queue."""

    def __init__(self, client: Any, namespace: str = "chorus") -> None:
        self.client = client
        self.prefix = f"{namespace}.lease."
        self.names_key = f"{namespace}.leases"
        self._replace = client.register_script(_REDIS_REPLACE)
        self._renew = client.register_script(_REDIS_RENEW)
        self._release = client.register_script(_REDIS_RELEASE)

    def _key(self, name: str) -> str:
        return self.prefix + name

    def acquire(
        self, name: str, holder: str, ttl: float, every: float, replacing: str | None = None
    ) -> bool:
        key, ttl_ms = self._key(name), max(1, int(ttl * 1000))
        if replacing is None:
            taken = bool(self.client.set(key, holder, nx=True, px=ttl_ms))
        else:
            taken = bool(self._replace(keys=[key], args=[replacing, holder, ttl_ms]))
        if taken:
            pipe = self.client.pipeline()
            pipe.sadd(self.names_key, name)
            pipe.hset(key + ".state", mapping={"started_at": time.time(), "every": every})
            pipe.execute()
        return taken

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        key = self._key(name)
        return bool(self._renew(keys=[key], args=[holder, max(1, int(ttl * 1000))]))

    def release(self, name: str, holder: str, completed: bool) -> None:
        key = self._key(name)
        if self._release(keys=[key], args=[holder]) and completed:
            self.client.hset(key + ".state", "completed_at", time.time())

    def states(self) -> list[LeaseState]:
        names = sorted(
            name.decode() if isinstance(name, bytes) else name
            for name in self.client.smembers(self.names_key)
        )
        pipe = self.client.pipeline()
        for name in names:
            pipe.get(self._key(name))
            pipe.pttl(self._key(name))
            pipe.hgetall(self._key(name) + ".state")
        replies = pipe.execute()
        now = time.time()
        states = []
        for index, name in enumerate(names):
            holder, ttl_ms, fields = replies[3 * index : 3 * index + 3]
            fields = {key.decode(): float(value) for key, value in fields.items()}
            states.append(
                LeaseState(
                    name=name,
                    holder=holder.decode() if holder is not None else None,
                    expires_at=now + ttl_ms / 1000 if holder is not None and ttl_ms > 0 else None,
                    started_at=fields.get("started_at"),
                    completed_at=fields.get("completed_at"),
                    every=fields.get("every"),
                )
            )
        return states


class MemoryLeaseStore:
    """Leases in this process's memory, for Huey's immediate mode (tasks run inline)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, LeaseState] = {}

    def acquire(
        self, name: str, holder: str, ttl: float, every: float, replacing: str | None = None
    ) -> bool:
        now = time.time()
        with self._lock:
            old = self._leases.get(name, LeaseState(name))
            held = old.holder is not None and (old.expires_at or 0) > now
            if held and old.holder != replacing:
                return False
            self._leases[name] = LeaseState(name, holder, now + ttl, now, old.completed_at, every)
            return True

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        with self._lock:
            old = self._leases.get(name)
            if old is None or old.holder != holder:
                return False
            self._leases[name] = LeaseState(
                name, holder, time.time() + ttl, old.started_at, old.completed_at, old.every
            )
            return True

    def release(self, name: str, holder: str, completed: bool) -> None:
        with self._lock:
            old = self._leases.get(name)
            if old is None or old.holder != holder:
                return
            completed_at = time.time() if completed else old.completed_at
            self._leases[name] = LeaseState(
                name, None, None, old.started_at, completed_at, old.every
            )

    def states(self) -> list[LeaseState]:
        with self._lock:
            return [self._leases[name] for name in sorted(self._leases)]


@functools.cache
def _store_for(storage: Any) -> LeaseStore:
    if isinstance(storage, SqliteStorage):
        return SqliteLeaseStore(storage.filename)
    if isinstance(storage, RedisStorage):
        return RedisLeaseStore(storage.conn, storage.name)
    if isinstance(storage, MemoryStorage):
        return MemoryLeaseStore()
    raise ImproperlyConfigured(f"Task leases do not support {type(storage).__name__}.")


def lease_store() -> LeaseStore:
    """The lease backend that goes with the configured Huey storage."""
    return _store_for(HUEY.storage)


# --- Holding a lease -----------------------------------------------------------------------


@contextmanager
def hold(
    name: str,
    *,
    every: float,
    ttl: float = DEFAULT_TTL,
    store: LeaseStore | None = None,
) -> Iterator[None]:
    """Hold the lease `name` while the block runs, renewing it; TaskLockedException if taken."""
    store = store or lease_store()
    holder = new_holder()
    if not store.acquire(name, holder, ttl, every):
        current = next((s for s in store.states() if s.name == name), None)
        # The holder on this machine is gone: take over now instead of waiting for expiry,
        # and only if nobody has taken over in between.
        if not (
            current is not None
            and current.holder is not None
            and holder_is_gone(current.holder)
            and store.acquire(name, holder, ttl, every, replacing=current.holder)
        ):
            raise TaskLockedException(f"unable to acquire lock {name}")
        logger.warning(
            "Took over the lease %s from %s, which has ended.",
            name,
            describe_holder(current.holder),
        )
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl / 3):
            try:
                if not store.renew(name, holder, ttl):
                    logger.error("Lost the lease %s: it expired before it could be renewed.", name)
                    return
            except Exception:
                # A passing backend error: the next renewal may get through before expiry.
                logger.exception("Could not renew the lease %s.", name)

    renewer = threading.Thread(target=renew, name=f"lease {name}", daemon=True)
    renewer.start()
    completed = False
    try:
        yield
        completed = True
    finally:
        stop.set()
        renewer.join()
        store.release(name, holder, completed)


# Every lease a task holds, by name: its period in seconds (tests check each is covered).
LEASED: dict[str, float] = {}


def lease_task(name: str, *, every: float, ttl: float = DEFAULT_TTL) -> Callable[[F], F]:
    """Run the decorated task only while holding the lease `name` (see the module's docstring).

    `every` is how often the task is scheduled, in seconds (for the "stuck" report); `ttl` is
    how long a lease outlives a holder that stopped renewing it.
    """
    if ttl <= 0 or every <= 0:
        raise ValueError("A lease needs a positive ttl and period.")
    LEASED[name] = every

    def decorator(function: F) -> F:
        @functools.wraps(function)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with hold(name, every=every, ttl=ttl):
                return function(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return decorator


# --- Reporting -----------------------------------------------------------------------------


def assess(state: LeaseState, now: float) -> tuple[str, str]:
    """(state, reason): "running", "ok", "not_run" or "stuck", with why for a stuck one."""
    if state.holder is not None and state.expires_at is not None and state.expires_at <= now:
        return "stuck", "its lease is held past its expiry"
    if (
        state.every is not None
        and state.completed_at is not None
        and now - state.completed_at > STUCK_AFTER_PERIODS * state.every
    ):
        return "stuck", f"not completed in {STUCK_AFTER_PERIODS} periods"
    if state.holder is not None:
        return "running", ""
    if state.completed_at is None:
        return "not_run", ""
    return "ok", ""


def lease_report(store: LeaseStore | None = None, now: float | None = None) -> dict[str, Any]:
    """Each leased task's state, for /healthz: a name → details mapping."""
    now = time.time() if now is None else now
    report = {}
    for state in (store or lease_store()).states():
        status, reason = assess(state, now)
        entry: dict[str, Any] = {
            "state": status,
            "holder": describe_holder(state.holder),
            "lease_expires_in": (
                round(state.expires_at - now, 1) if state.expires_at is not None else None
            ),
            "last_started": iso(state.started_at),
            "last_completed": iso(state.completed_at),
            "every_seconds": state.every,
        }
        if reason:
            entry["reason"] = reason
        report[state.name] = entry
    return report


def seconds_since_completed(
    name: str, store: LeaseStore | None = None, now: float | None = None
) -> tuple[float, float] | None:
    """(seconds since the task `name` last completed, that time), or None if it never did.

    The worker's heartbeat is such a task (chorus.web.tasks.worker_heartbeat).
    """
    now = time.time() if now is None else now
    for state in (store or lease_store()).states():
        if state.name == name and state.completed_at is not None:
            return now - state.completed_at, state.completed_at
    return None


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
