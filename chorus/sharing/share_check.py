"""The composer's originality check against the item's captions and colleagues' shares.

The colleagues' index of an item (`colleagues_index`) is kept between requests and grown
as shares arrive, not rebuilt from every stored signature for every keystroke: rebuilding it
from 10,000 shares cost 94 ms a request, the lookup itself under a millisecond. Each process
keeps the indexes of the items checked lately (`KEPT_ITEMS`), built from the signatures
stored with each share (the persisted part every process reads).

A request does not read the item's shares. It reads one key of Django's cache, the item's
change mark, which every process sets when it saves or deletes one of the item's shares
(shared by every process: Redis when scaling out, the database's cache table otherwise; a
share saved by this process resets its kept index directly). At most every `STAMP_SECONDS`,
and at once when that change mark moved, it reads the item's stamp — how many shares, how
many still name their author, the last change — in one aggregate over the item's shares:
the aggregate over 10,000 shares cost more than the rest of the check, and it is what
catches writes that send no signal (a bulk update, a raw SQL change) within
`STAMP_SECONDS`. When the stamp moved, only the shares changed since the
last change seen are read and applied (added, edited: taken out and added again, cancelled
or back to draft: taken out). A share deleted or anonymised, or a change missed because
another transaction committed late, leaves the counts different: the index is then rebuilt,
as it is after `MAX_AGE` in any case. Shares older than `RECENT` drop out as time passes.
The answers are those of an index rebuilt from scratch (tested).

A table of 2-gram postings in the database was the other way to share the index between
processes; but the parrot case the check exists for — thousands of copies of one caption —
makes each of the text's 2-grams match thousands of rows, counted by a GROUP BY on every
keystroke, where the kept index does it with one numpy `bincount`.
"""

from __future__ import annotations

import heapq
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from chorus.content.models import Caption, ContentItem
from chorus.lib.text_metrics import check_caption
from chorus.orgs.models import Membership
from chorus.sharing import originality
from chorus.sharing.models import Share

RECENT = timedelta(days=90)


@dataclass(frozen=True)
class Result:
    originality: float
    identical_share: float
    near_duplicates: int
    length: int
    limit: int
    fits: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "originality": round(self.originality, 3),
            "identical_share": self.identical_share,
            "near_duplicates": self.near_duplicates,
            "length": self.length,
            "limit": self.limit,
            "fits": self.fits,
        }


def suggestions(item: ContentItem) -> list[str]:
    return list(Caption.objects.filter(item=item).values_list("text", flat=True))


# Shares that are not (or no longer) posts a colleague could be compared with.
NOT_COMPARED = (Share.Status.CANCELLED, Share.Status.DRAFT)
KEPT_ITEMS = 64  # items whose index a process keeps, the least recently checked dropped first
MAX_AGE = 600.0  # seconds before a kept index is rebuilt whatever its stamp says
# Changes are read again from this long before the last one seen: a transaction that
# committed late with an earlier `updated_at` is still caught.
OVERLAP = timedelta(minutes=1)
# The item's stamp is read from the database at most this often (seconds), unless its
# change mark in the cache moved: writes that send no signal are seen within it.
STAMP_SECONDS = 2.0
_CHANGED_KEY = "chorus:sharing:item-shares-changed:{}"


@dataclass
class _Kept:
    """One item's colleagues' index, and what it was built from."""

    index: originality.NearDuplicateIndex[int]
    authors: dict[int, int | None] = field(default_factory=dict)  # every share seen: membership
    created: dict[int, datetime] = field(default_factory=dict)  # the indexed shares
    changes: dict[int, datetime] = field(default_factory=dict)  # share: `updated_at` applied
    expiring: list[tuple[datetime, int]] = field(default_factory=list)  # heap of (created, share)
    stamp: tuple[Any, ...] = ()
    stamped_at: float = 0.0  # wall time the stamp was read
    changed: str | None = None  # the item's change mark in the cache when it was read
    mine: dict[int | None, set[int]] = field(default_factory=dict)  # membership: its shares
    compared: set[int] = field(default_factory=set)  # shares whose status is compared
    last_change: datetime | None = None
    built: float = -MAX_AGE  # never: the first request builds it
    lock: threading.Lock = field(default_factory=threading.Lock)


_kept: OrderedDict[int, _Kept] = OrderedDict()
_kept_lock = threading.Lock()


class Colleagues:
    """The item's index seen by one person: their own shares are not their colleagues'."""

    def __init__(self, kept: _Kept, membership_id: int | None):
        self._kept = kept
        self._own = frozenset(kept.mine.get(membership_id, ())) if membership_id else frozenset()

    def __len__(self) -> int:
        return len(self._kept.index) - sum(1 for share in self._own if share in self._kept.created)

    def query(
        self,
        text: str,
        threshold: float = originality.NEAR_DUPLICATE_THRESHOLD,
        links: Iterable[str] = (),
    ) -> list[tuple[Any, float]]:
        with self._kept.lock:
            found = self._kept.index.query(text, threshold, links)
        if not self._own:
            return found
        return [(share, score) for share, score in found if share not in self._own]


def _shares(item: ContentItem):  # type: ignore[no-untyped-def]
    return Share.objects.filter(org_id=item.org_id, item=item).order_by()


def _stamp(item: ContentItem) -> tuple[Any, ...]:
    found = _shares(item).aggregate(
        count=Count("id"),
        named=Count("membership"),
        changed=Max("updated_at"),
        # A status changed by a bulk update() leaves `updated_at` as it was: counted here.
        compared=Count("id", filter=~Q(status__in=NOT_COMPARED)),
    )
    return found["count"], found["named"], found["changed"], found["compared"]


def _apply(kept: _Kept, rows: Any) -> None:
    """Add, replace or take out the shares read (the row is the share's state now)."""
    for pk, membership_id, status, created_at, updated_at, signature in rows:
        _author(kept, pk, membership_id)
        kept.changes[pk] = updated_at
        if status in NOT_COMPARED:
            kept.compared.discard(pk)
        else:
            kept.compared.add(pk)
        kept.index.discard(pk)
        kept.created.pop(pk, None)
        if status not in NOT_COMPARED and signature is not None:
            kept.index.add_signature(pk, bytes(signature))
            kept.created[pk] = created_at
            heapq.heappush(kept.expiring, (created_at, pk))
        if kept.last_change is None or updated_at > kept.last_change:
            kept.last_change = updated_at


def _author(kept: _Kept, pk: int, membership_id: int | None) -> None:
    """Record who a share is by now (anonymised: nobody)."""
    before = kept.authors.get(pk, -1)
    if before != membership_id:
        if before != -1:
            kept.mine.get(before, set()).discard(pk)
        kept.authors[pk] = membership_id
        kept.mine.setdefault(membership_id, set()).add(pk)


_COLUMNS = ("pk", "membership_id", "status", "created_at", "updated_at", "signature")


def _sync(kept: _Kept, item: ContentItem, now: datetime) -> None:
    """Bring the kept index up to the item's shares: read the stamp when the item's change
    mark moved, a share was saved here, or `STAMP_SECONDS` passed; then drop old shares."""
    changed = cache.get(_CHANGED_KEY.format(item.pk))
    wall = time.time()
    if (
        kept.stamp == ()
        or changed != kept.changed
        or not 0 <= wall - kept.stamped_at < STAMP_SECONDS
    ):
        kept.changed, kept.stamped_at = changed, wall
        _update(kept, item, now)
    # Shares older than RECENT are no longer compared.
    cutoff = now - RECENT
    while kept.expiring and kept.expiring[0][0] < cutoff:
        created_at, pk = heapq.heappop(kept.expiring)
        if kept.created.get(pk) == created_at:
            kept.index.discard(pk)
            del kept.created[pk]


def _update(kept: _Kept, item: ContentItem, now: datetime) -> None:
    """Read the item's stamp; apply what changed since the last one, or rebuild."""
    stamp = _stamp(item)
    stale = time.monotonic() - kept.built > MAX_AGE or kept.index.removed > len(kept.index)
    if stamp != kept.stamp and not stale:
        if kept.last_change is None:  # nothing was shared when it was built
            stale = True
        else:
            # Which shares changed, then only those read whole (a busy item sees many
            # shares within OVERLAP, already applied).
            changed = [
                pk
                for pk, updated_at in _shares(item)
                .filter(updated_at__gte=kept.last_change - OVERLAP)
                .values_list("pk", "updated_at")
                if kept.changes.get(pk) != updated_at
            ]
            if changed:
                _apply(kept, _shares(item).filter(pk__in=changed).values_list(*_COLUMNS))
            named = len(kept.authors) - len(kept.mine.get(None, ()))
            stale = (len(kept.authors), named) != stamp[:2]
            if len(kept.compared) != stamp[3]:
                stale = True  # statuses changed by a bulk update, which leaves `updated_at`
    if stale:
        fresh = _Kept(originality.NearDuplicateIndex())
        _apply(fresh, _shares(item).filter(created_at__gte=now - RECENT).values_list(*_COLUMNS))
        # Older shares are counted as seen without being read: only their number matters.
        for pk, membership_id, status in (
            _shares(item)
            .filter(created_at__lt=now - RECENT)
            .values_list("pk", "membership_id", "status")
        ):
            _author(fresh, pk, membership_id)
            if status not in NOT_COMPARED:
                fresh.compared.add(pk)
        kept.index, kept.authors, kept.created = fresh.index, fresh.authors, fresh.created
        kept.mine = fresh.mine
        kept.changes, kept.compared = fresh.changes, fresh.compared
        kept.expiring, kept.last_change = fresh.expiring, fresh.last_change
        kept.built = time.monotonic()
    kept.stamp = stamp


def colleagues_index(item: ContentItem, membership: Membership | None) -> Colleagues:
    """The organisation's recent shares of this item by others, from stored signatures.

    The index is kept by the process and brought up to date first (see the module's
    docstring): the same answers as an index built now from every stored signature.
    """
    with _kept_lock:
        kept = _kept.get(item.pk)
        if kept is None:
            kept = _kept[item.pk] = _Kept(originality.NearDuplicateIndex())
        _kept.move_to_end(item.pk)
        while len(_kept) > KEPT_ITEMS:
            _kept.popitem(last=False)
    with kept.lock:
        _sync(kept, item, timezone.now())
        return Colleagues(kept, membership.pk if membership is not None else None)


@receiver(post_save, sender=Share, dispatch_uid="chorus.sharing.share_check:save")
@receiver(post_delete, sender=Share, dispatch_uid="chorus.sharing.share_check:delete")
def _share_changed(sender: Any, instance: Share, **kwargs: Any) -> None:
    """A share saved in this process: its item's index is brought up to date at once, whatever
    the stamp says; other processes see the item's change mark move in the cache, now and
    again when the transaction commits (a check in between would read the old rows)."""
    with _kept_lock:
        kept = _kept.get(instance.item_id)
    if kept is not None:
        kept.stamp = ()
    key = _CHANGED_KEY.format(instance.item_id)
    # A day: a mark gone moves too (the stamp is read once), and Redis keeps no key per
    # item ever shared.
    cache.set(key, uuid.uuid4().hex, timeout=86400)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, timeout=86400))


def forget() -> None:
    """Drop every kept index of this process (tests; a memory-pressure hook)."""
    with _kept_lock:
        _kept.clear()


def mastodon_limit(membership: Membership) -> int | None:
    """The person's Mastodon server's own limit, learnt when they connected."""
    from chorus.sharing.models import Connection

    connection = Connection.objects.filter(
        membership=membership, network="mastodon", status=Connection.Status.ACTIVE
    ).first()
    value = connection.credentials.get("max_characters") if connection else None
    return int(value) if isinstance(value, int) and value > 0 else None


def run(
    item: ContentItem,
    network: str,
    text: str,
    membership: Membership | None,
    links: tuple[str, ...] = (),
    limit: int | None = None,
) -> Result:
    links = (*links, item.url) if item.url else links
    found = originality.check(text, suggestions(item), colleagues_index(item, membership), links)
    length_network = network if network in ("linkedin", "x", "mastodon", "bluesky") else "facebook"
    if limit is None and membership is not None and network == "mastodon":
        limit = mastodon_limit(membership)
    length = check_caption(text, length_network, limit=limit)
    return Result(
        originality=found.originality,
        identical_share=found.identical_share,
        near_duplicates=found.near_duplicates,
        length=length.length,
        limit=length.limit,
        fits=length.fits,
    )
