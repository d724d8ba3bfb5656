"""Keeping the organisation-wide part of the feed between requests, and knowing when it is stale.

The part (`chorus.feed.live.OrgFeed`) holds numpy arrays of gigabytes for a large
catalogue. It is built once per organisation, written where every process maps it
(`chorus.feed.shared`: memory-mapped files, one copy in memory for all the processes of a
machine), and kept by each process under a *version* in two halves:

- the **base** — items, their topics, topics and personas, campaigns and their targets,
  ambassador profiles, memberships and programme participation: a change time in Django's
  cache (Redis when scaling out), set by the signal receivers below, and a database stamp
  (item count and last change) read at most every `BASE_STAMP_SECONDS`, which catches what
  another process or a bulk write changed. A base change rebuilds the context: the worker
  does it a few seconds after the change (`chorus.feed.tasks`), and a request that finds
  no current context builds it under a lock held across processes (one build, the others
  wait and map the result). The text index is reused when the items' texts did not change.
- the **shares** — tracked links and shares (and "not for me", read with them): their own
  change time and stamp (counts and last changes). A colleague's share does not rebuild the
  context: each process learns it again from the organisation's interactions on the mapped
  items (`FeedContext.with_interactions`, a few hundred milliseconds at 200,000 items),
  keeping only the small interaction-derived arrays to itself.

Every request also reads the shared pointer (a small file): a context written by another
process for a change this one did not hear of (the embedded profile's caches are per
process) is picked up at once. A context also ends when an item's publication or expiry
time passes, when a new day starts (campaign dates), and after `MAX_AGE` in any case (that one
without making a request wait: past `MAX_AGE` the context is still served while the worker
builds the next one, up to `STALE_LIMIT` when no worker does). What
changes for one person only — their profile, their shares, their "not for me" — is read on
each request by `chorus.feed.live.feed_for` and never waits. Captions and talking points
are not part of the ranking: the cards read them fresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save

from chorus.feed import shared

if TYPE_CHECKING:
    from chorus.feed.live import OrgFeed
    from chorus.orgs.models import Organization

logger = logging.getLogger(__name__)

MAX_AGE = timedelta(minutes=10)
# Past MAX_AGE a context is still served while the worker builds the next one (a build takes
# seconds at 200,000 items: no request waits for it); past STALE_LIMIT — no worker running —
# the request builds it itself, as when there is none.
STALE_LIMIT = 3 * MAX_AGE
ASK_AGAIN_SECONDS = 60  # a worker asked for a context and not done by then is asked again
# How often the database stamps are read when no change time moved: the shares' (a few
# thousand rows) every 2 s; the items' (a count over the whole catalogue: 100 ms at 200,000
# items on SQLite, on one request in every few) every 30 s, a change this process or the
# cache did not hear of being rare (a bulk write, another process in the embedded profile).
STAMP_SECONDS = 2.0
BASE_STAMP_SECONDS = 30.0
MAX_ORGANISATIONS = 8  # contexts kept per process, least recently used dropped first
WORKER_DELAY = 5  # seconds: changes in a burst lead to one build by the worker
_BASE_KEY = "chorus:feed:changed:{}"
_SHARES_KEY = "chorus:feed:shares-changed:{}"

Build = Callable[["Organization", datetime, "OrgFeed | None"], "OrgFeed"]
Refresh = Callable[["Organization", "OrgFeed"], "OrgFeed"]


@dataclass
class _Entry:
    directory: str  # the shared context mapped
    base: list[Any]  # its base stamp
    written_at: float  # wall time it was written
    shares: tuple[Any, ...]  # the shares version it was learnt from
    feed: OrgFeed


_entries: OrderedDict[int, _Entry] = OrderedDict()
_stamps: dict[tuple[str, int], tuple[float, float, list[Any]]] = {}
_lock = threading.Lock()
_build_locks: dict[int, threading.Lock] = {}


def _mark(key: str) -> None:
    cache.set(key, time.time(), timeout=None)
    transaction.on_commit(lambda: cache.set(key, time.time(), timeout=None))


def bump(org_id: int) -> None:
    """Mark the organisation's context stale, now and again when the transaction commits,
    and ask the worker to build the next one.

    The second time closes a race: a request could rebuild between the write and its
    commit, reading the old rows.
    """
    _mark(_BASE_KEY.format(org_id))
    transaction.on_commit(lambda: _ask_worker(org_id))


def bump_shares(org_id: int) -> None:
    """A share, a tracked link or a "not for me" changed: learnt again, not rebuilt."""
    _mark(_SHARES_KEY.format(org_id))


def _ask_worker(org_id: int) -> None:
    # The task module imports the live feed, which imports this one.
    from chorus.feed.tasks import build_feed_context

    try:
        build_feed_context.schedule((org_id,), delay=WORKER_DELAY)
    except Exception:  # the queue down must not fail the write; a request will build it
        logger.exception("could not ask the worker to build the feed of organisation %s", org_id)


def _stamp(org_id: int) -> tuple[list[Any], list[Any]]:
    return _base_stamp(org_id), _shares_stamp(org_id)


def _base_stamp(org_id: int) -> list[Any]:
    from chorus.content.models import ContentItem

    items = ContentItem.objects.filter(org_id=org_id).aggregate(
        count=Count("id"), changed=Max("updated_at")
    )
    return [items["count"], _iso(items["changed"])]


def _shares_stamp(org_id: int) -> list[Any]:
    from chorus.links.models import TrackedLink
    from chorus.sharing.models import Share

    links = TrackedLink.objects.filter(org_id=org_id).aggregate(count=Count("id"), last=Max("id"))
    shares = (
        Share.objects.filter(org_id=org_id)
        .order_by()
        .aggregate(count=Count("id"), changed=Max("updated_at"))
    )
    return [links["count"], links["last"], shares["count"], _iso(shares["changed"])]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def version(org_id: int) -> tuple[list[Any], float, list[Any], float]:
    """The organisation's current versions: base stamp and change time, shares stamp and
    change time (each stamp read again at once when its change time moved, else at most
    every `STAMP_SECONDS` for the shares, `BASE_STAMP_SECONDS` for the base)."""
    found = cache.get_many([_BASE_KEY.format(org_id), _SHARES_KEY.format(org_id)])
    base_changed = float(found.get(_BASE_KEY.format(org_id)) or 0.0)
    shares_changed = float(found.get(_SHARES_KEY.format(org_id)) or 0.0)
    now = time.monotonic()
    base = _read(("base", org_id), base_changed, now, BASE_STAMP_SECONDS, _base_stamp)
    shares = _read(("shares", org_id), shares_changed, now, STAMP_SECONDS, _shares_stamp)
    return base, base_changed, shares, shares_changed


def _read(
    key: tuple[str, int],
    changed: float,
    now: float,
    interval: float,
    read: Callable[[int], list[Any]],
) -> list[Any]:
    """A stamp as last read, or read again when its change time moved or it is too old."""
    seen = _stamps.get(key)
    if seen is not None and seen[1] == changed and 0 <= now - seen[0] < interval:
        return seen[2]
    stamp = read(key[1])
    _stamps[key] = (now, changed, stamp)
    return stamp


def _usable(
    pointer: dict[str, Any] | None,
    base: list[Any],
    changed: float,
    now: datetime,
    max_age: timedelta = MAX_AGE,
) -> bool:
    """Whether a shared context was built for this base version and is still valid (and
    younger than `max_age`)."""
    # Strictly later: a context written in the very second of a change (frozen clocks in
    # tests) may have read the rows before it.
    if pointer is None or pointer.get("base") != base or pointer.get("written_at", 0) <= changed:
        return False
    try:
        built_at = datetime.fromisoformat(pointer["built_at"])
        valid_until = datetime.fromisoformat(pointer["valid_until"])
    except (KeyError, TypeError, ValueError):
        return False
    return built_at <= now < valid_until and now - built_at < max_age


_asked: dict[tuple[int, str], float] = {}


def _ask_for_next(org_id: int, entry: _Entry, now: datetime) -> None:
    """The context served is past MAX_AGE: ask the worker for the next one, once per
    `ASK_AGAIN_SECONDS` across processes (the cache's `add`), once a second per process."""
    if now - entry.feed.built_at < MAX_AGE:
        return
    key = (org_id, entry.directory)
    moment = time.monotonic()
    if key in _asked and 0 <= moment - _asked[key] < 1.0:
        return
    _asked.clear()  # the previous contexts' marks are not needed any more
    _asked[key] = moment
    if cache.add(f"chorus:feed:next-asked:{org_id}:{entry.directory}", 1, ASK_AGAIN_SECONDS):
        _ask_worker(org_id)


def organisation_feed(
    org: Organization, now: datetime, build: Build, refresh: Refresh, *, stale: bool = True
) -> OrgFeed:
    """The organisation's feed part for `now`: kept, mapped from the shared one, learnt
    again after new shares, or built.

    With `stale` (requests), a context past MAX_AGE but younger than STALE_LIMIT, and
    otherwise current, is served while the worker builds the next one; the worker itself
    passes `stale=False`."""
    max_age = STALE_LIMIT if stale else MAX_AGE
    base, base_changed, shares_stamp, shares_changed = version(org.pk)
    shares_version = (tuple(shares_stamp), shares_changed)
    pointer = shared.current(org.pk)
    entry = _entries.get(org.pk)
    if (
        entry is not None
        and (pointer is None or pointer["directory"] == entry.directory)
        and _usable(_pointer_of(entry), base, base_changed, now, max_age)
    ):
        _entries.move_to_end(org.pk)
        if stale:
            _ask_for_next(org.pk, entry, now)
        if entry.shares == shares_version:
            return entry.feed
    with _lock:
        build_lock = _build_locks.setdefault(org.pk, threading.Lock())
    with build_lock:  # one build or update per organisation at a time in this process
        entry = _entries.get(org.pk)
        pointer = shared.current(org.pk)
        if (
            entry is None
            or pointer is None
            or pointer["directory"] != entry.directory
            or not (_usable(_pointer_of(entry), base, base_changed, now, max_age))
        ):
            entry = _map_or_build(org, now, build, base, base_changed, entry, max_age)
            if stale:
                _ask_for_next(org.pk, entry, now)
        if entry.shares != shares_version:
            if tuple(entry.shares[0]) != shares_version[0] or entry.written_at < shares_changed:
                entry.feed = refresh(org, entry.feed)
            entry.shares = shares_version
        with _lock:
            _entries[org.pk] = entry
            _entries.move_to_end(org.pk)
            while len(_entries) > MAX_ORGANISATIONS:
                _entries.popitem(last=False)
        return entry.feed


def _pointer_of(entry: _Entry) -> dict[str, Any]:
    return {
        "directory": entry.directory,
        "base": entry.base,
        "written_at": entry.written_at,
        "built_at": entry.feed.built_at.isoformat(),
        "valid_until": entry.feed.valid_until.isoformat(),
    }


def _map_or_build(
    org: Organization,
    now: datetime,
    build: Build,
    base: list[Any],
    base_changed: float,
    previous: _Entry | None,
    max_age: timedelta = MAX_AGE,
) -> _Entry:
    """Map the shared context when it is current, else build it (one process at a time)."""
    pointer = shared.current(org.pk)
    if not _usable(pointer, base, base_changed, now, max_age):
        with shared.building(org.pk):
            pointer = shared.current(org.pk)  # another process may have built it meanwhile
            if not _usable(pointer, base, base_changed, now, max_age):
                return build_and_share(org, now, build, previous.feed if previous else None)
    assert pointer is not None
    try:
        feed = shared.load(org.pk, pointer["directory"])
    except (OSError, EOFError, ValueError) as error:  # removed meanwhile, or half-written
        logger.warning("feed context of organisation %s unreadable (%s): rebuilt", org.pk, error)
        with shared.building(org.pk):
            return build_and_share(org, now, build, previous.feed if previous else None)
    return _Entry(
        pointer["directory"], pointer["base"], pointer["written_at"],
        (tuple(pointer["shares"]), pointer["written_at"]), feed,
    )  # fmt: skip


def build_and_share(
    org: Organization, now: datetime, build: Build, previous: OrgFeed | None = None
) -> _Entry:
    """Build the context, write it for every process, and map it (the caller holds the
    organisation's build lock)."""
    written_at = time.time()  # before reading: a change during the build is seen as later
    base, shares_stamp = _stamp(org.pk)
    feed = build(org, now, previous)
    pointer = {
        "base": base,
        "shares": shares_stamp,
        "written_at": written_at,
        "built_at": feed.built_at.isoformat(),
        "valid_until": feed.valid_until.isoformat(),
    }
    directory = shared.save(org.pk, feed, pointer)
    # The arrays this process uses are the mapped ones: its own copy is freed.
    mapped = shared.load(org.pk, directory)
    return _Entry(directory, base, written_at, (tuple(shares_stamp), written_at), mapped)


def forget() -> None:
    """Drop every kept context of this process (tests; a memory-pressure hook)."""
    with _lock:
        _entries.clear()
        _stamps.clear()


# ---------------------------------------------------------------------------- receivers


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    org_id = getattr(instance, "org_id", None)
    if org_id is not None:
        bump(org_id)


def _shares_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    org_id = getattr(instance, "org_id", None)
    if org_id is not None:
        bump_shares(org_id)


def _links_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _changed(sender, instance)


def connect() -> None:
    """Connect the receivers that mark a feed context stale (called by the app's `ready`)."""
    from chorus.content.models import Campaign, ContentItem, Persona, Topic
    from chorus.feed.models import AmbassadorProfile, Feedback
    from chorus.links.models import TrackedLink
    from chorus.orgs.models import Membership, Team
    from chorus.program.models import Participation
    from chorus.sharing.models import Share

    for model in (
        ContentItem, Topic, Persona, Campaign, AmbassadorProfile, Membership, Team, Participation,
    ):  # fmt: skip
        uid = f"chorus.feed.cache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete")
    for shares_model in (TrackedLink, Share, Feedback):
        uid = f"chorus.feed.cache:{shares_model._meta.label}"
        post_save.connect(_shares_changed, sender=shares_model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_shares_changed, sender=shares_model, dispatch_uid=f"{uid}:delete")
    for relation in (
        ContentItem.topics,
        Campaign.target_teams,
        Campaign.target_personas,
        AmbassadorProfile.interests,
        AmbassadorProfile.personas,
    ):
        through = relation.through
        m2m_changed.connect(
            _links_changed, sender=through, dispatch_uid=f"chorus.feed.cache:{through._meta.label}"
        )
