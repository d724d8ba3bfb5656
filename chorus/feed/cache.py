"""Keeping the organisation-wide part of the feed between requests, and knowing when it is stale.

The part (`chorus.feed.live.OrgFeed`) holds numpy arrays of tens of megabytes for a large
catalogue: unpickling it from Django's cache on every request would cost more than
ranking. So each process keeps the built object in memory, under a *version* that says
which state of the organisation it was built from:

- a token in Django's cache (Redis when scaling out, so every process sees it), replaced
  by the signal receivers below whenever something the ranking reads is saved or deleted:
  items, their topics, topics and personas, campaigns and their targets, tracked links
  (shares), ambassador profiles, memberships and programme participation;
- a stamp read from the database (item count and last change, tracked-link count and last
  id), at most every `STAMP_SECONDS` and whenever the token changed: with the in-process
  cache of the embedded profile, a token replaced in one process is not seen by the others
  (the worker publishing from a trusted source, another web worker), and bulk writes send
  no signal. Reading it costs a scan of the organisation's items (8 ms for 20,000 on
  SQLite), hence the interval; changes made elsewhere show within it.

A context is also rebuilt when an item's publication or expiry time passes, when a new
day starts (campaign dates), and after `MAX_AGE` in any case. What changes for one person
only — their profile, their shares, their "not for me" — is read on each request by
`chorus.feed.live.feed_for` and never waits for a rebuild. Captions and talking points are
not part of the ranking: the cards read them fresh.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save

if TYPE_CHECKING:
    from chorus.feed.live import OrgFeed
    from chorus.orgs.models import Organization

MAX_AGE = timedelta(minutes=10)
STAMP_SECONDS = 2.0
MAX_ORGANISATIONS = 8  # contexts kept per process, least recently used dropped first
_KEY = "chorus:feed:version:{}"


@dataclass
class _Entry:
    version: tuple[Hashable, ...]
    feed: OrgFeed


_entries: OrderedDict[int, _Entry] = OrderedDict()
_stamps: dict[int, tuple[float, str, tuple[Hashable, ...]]] = {}  # org: (read at, token, stamp)
_lock = threading.Lock()
_build_locks: dict[int, threading.Lock] = {}


def _new_token() -> str:
    return secrets.token_hex(8)


def bump(org_id: int) -> None:
    """Mark the organisation's feed context stale, now and again when the transaction commits.

    The second time closes a race: a request could rebuild between the write and its
    commit, reading the old rows under the new token.
    """
    key = _KEY.format(org_id)
    cache.set(key, _new_token(), timeout=None)
    transaction.on_commit(lambda: cache.set(key, _new_token(), timeout=None))


def _stamp(org_id: int) -> tuple[Hashable, ...]:
    from chorus.content.models import ContentItem
    from chorus.links.models import TrackedLink

    items = ContentItem.objects.filter(org_id=org_id).aggregate(
        count=Count("id"), changed=Max("updated_at")
    )
    links = TrackedLink.objects.filter(org_id=org_id).aggregate(count=Count("id"), last=Max("id"))
    return items["count"], items["changed"], links["count"], links["last"]


def version(org_id: int) -> tuple[Hashable, ...]:
    """The organisation's current feed version: the cached token and the database stamp."""
    token = str(cache.get_or_set(_KEY.format(org_id), _new_token, timeout=None))
    seen = _stamps.get(org_id)
    now = time.monotonic()
    if seen is not None and seen[1] == token and now - seen[0] < STAMP_SECONDS:
        stamp = seen[2]
    else:
        stamp = _stamp(org_id)
        _stamps[org_id] = (now, token, stamp)
    return (token, *stamp)


def organisation_feed(
    org: Organization,
    now: datetime,
    build: Callable[[Organization, datetime, OrgFeed | None], OrgFeed],
) -> OrgFeed:
    """The organisation's feed part for `now`: the kept one if still current, else rebuilt."""
    current = version(org.pk)
    entry = _entries.get(org.pk)
    if entry is not None and _fresh(entry, current, now):
        _entries.move_to_end(org.pk)
        return entry.feed
    with _lock:
        build_lock = _build_locks.setdefault(org.pk, threading.Lock())
    with build_lock:  # one build per organisation at a time; the others wait for it
        entry = _entries.get(org.pk)
        if entry is not None and _fresh(entry, current, now):
            return entry.feed
        feed = build(org, now, entry.feed if entry else None)
        with _lock:
            _entries[org.pk] = _Entry(current, feed)
            _entries.move_to_end(org.pk)
            while len(_entries) > MAX_ORGANISATIONS:
                _entries.popitem(last=False)
        return feed


def _fresh(entry: _Entry, current: tuple[Hashable, ...], now: datetime) -> bool:
    feed = entry.feed
    return (
        entry.version == current
        and feed.built_at <= now < feed.valid_until
        and now - feed.built_at < MAX_AGE
    )


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


def _links_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _changed(sender, instance)


def connect() -> None:
    """Connect the receivers that mark a feed context stale (called by the app's `ready`)."""
    from chorus.content.models import Campaign, ContentItem, Persona, Topic
    from chorus.feed.models import Profile
    from chorus.links.models import TrackedLink
    from chorus.orgs.models import Membership, Team
    from chorus.program.models import Participation
    from chorus.sharing.models import Share

    for model in (
        ContentItem, Topic, Persona, Campaign, TrackedLink, Profile, Membership, Team,
        Participation, Share,
    ):  # fmt: skip
        uid = f"chorus.feed.cache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}:delete")
    for relation in (
        ContentItem.topics,
        Campaign.target_teams,
        Campaign.target_personas,
        Profile.interests,
        Profile.personas,
    ):
        through = relation.through
        m2m_changed.connect(
            _links_changed, sender=through, dispatch_uid=f"chorus.feed.cache:{through._meta.label}"
        )
