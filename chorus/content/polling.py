"""Polling RSS, Atom and JSON feeds into the curation inbox.

Each source is polled on its own: a broken one records its error and backs off, and never
stops the others. Conditional GET (ETag / Last-Modified) keeps unchanged feeds cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chorus.content.actions import auto_publish_entry, canonical_or_blank
from chorus.content.models import ContentItem, CuratedEntry, Source
from chorus.lib.safe_fetch import FetchError, fetch
from chorus.lib.syndication import FeedParseError, parse_feed

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)
# How long a claimed source is reserved for the worker polling it.
LEASE = timedelta(minutes=10)


@dataclass
class PollResult:
    source_id: int
    ok: bool
    new_entries: int = 0
    not_modified: bool = False
    error: str = ""


def backoff(source: Source) -> timedelta:
    """Wait longer after each consecutive failure: poll interval x 2^failures, capped."""
    interval = timedelta(minutes=max(source.poll_minutes, 1))
    return min(interval * (2 ** min(source.failure_count, 10)), MAX_BACKOFF)


def claim(source: Source, now: datetime) -> bool:
    """Reserve a due source so that two workers never poll it at once."""
    claimed = Source.objects.filter(pk=source.pk, next_poll_at=source.next_poll_at).update(
        next_poll_at=now + LEASE
    )
    return claimed == 1


def poll_source(source: Source, now: datetime | None = None) -> PollResult:
    """Fetch one source, store its new entries, and schedule its next poll."""
    now = now or timezone.now()
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    source.last_polled_at = now
    try:
        response = fetch(
            source.url,
            extra_headers=headers,
            max_bytes=settings.CHORUS_FEED_MAX_BYTES,
            timeout=settings.CHORUS_FETCH_TIMEOUT,
        )
        if response.status == 304:
            _succeeded(source, now)
            return PollResult(source.pk, ok=True, not_modified=True)
        feed = parse_feed(
            response.body,
            url=response.url,
            content_type=response.content_type,
            encoding=response.encoding,
        )
    except (FetchError, FeedParseError) as error:
        return _failed(source, now, str(error))
    except Exception as error:  # a bug must not stop the other sources either
        logger.exception("Polling source %s failed", source.pk)
        return _failed(source, now, f"Unexpected error: {error.__class__.__name__}")
    source.etag = response.headers.get("etag", "")[:300]
    source.last_modified = response.headers.get("last-modified", "")[:100]
    source.feed_title = feed.title[:300]
    created = store_entries(source, feed.entries, now)
    _succeeded(source, now)
    return PollResult(source.pk, ok=True, new_entries=created)


def store_entries(source: Source, entries: list, now: datetime) -> int:  # type: ignore[type-arg]
    """Add entries not seen before in the organisation (by canonical URL or GUID)."""
    candidates = {}
    for entry in entries:
        canonical = canonical_or_blank(entry.url)
        if canonical and canonical not in candidates:
            candidates[canonical] = entry
    if not candidates:
        return 0
    org_entries = CuratedEntry.objects.filter(org_id=source.org_id)
    known_urls = set(
        org_entries.filter(canonical_url__in=list(candidates)).values_list(
            "canonical_url", flat=True
        )
    )
    known_urls |= set(
        ContentItem.objects.filter(
            org_id=source.org_id, canonical_url__in=list(candidates)
        ).values_list("canonical_url", flat=True)
    )
    guids = [entry.guid for entry in candidates.values() if entry.guid]
    known_guids = set(org_entries.filter(guid__in=guids).values_list("guid", flat=True))
    fresh = [
        CuratedEntry(
            org_id=source.org_id,
            source=source,
            guid=(entry.guid or canonical)[:1000],
            url=entry.url[:2000],
            canonical_url=canonical,
            title=(entry.title or entry.url)[:300],
            summary=entry.summary,
            image_url=entry.image_url[:2000],
            language=(entry.language or "")[:8],
            published_at=entry.published_at,
        )
        for canonical, entry in candidates.items()
        if canonical not in known_urls and not (entry.guid and entry.guid in known_guids)
    ]
    if not fresh:
        return 0
    try:
        with transaction.atomic():
            CuratedEntry.objects.bulk_create(fresh)
    except IntegrityError:
        # Another source stored one of these articles meanwhile: add them one by one.
        stored = []
        for entry in fresh:
            try:
                with transaction.atomic():
                    entry.save()
                stored.append(entry)
            except IntegrityError:
                continue
        fresh = stored
    if source.auto_publish:
        _auto_publish(source, now)
    return len(fresh)


def _auto_publish(source: Source, now: datetime) -> None:
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    published_today = CuratedEntry.objects.filter(
        source=source, status=CuratedEntry.Status.AUTO_PUBLISHED, created_at__gte=start_of_day
    ).count()
    room = max(source.daily_cap - published_today, 0)
    if not room:
        return
    waiting = (
        CuratedEntry.objects.filter(
            source=source, status=CuratedEntry.Status.NEW, created_at__gte=start_of_day
        )
        .select_related("source")
        .order_by("-published_at", "id")[:room]
    )
    for entry in waiting:
        with transaction.atomic():
            auto_publish_entry(entry)


def _succeeded(source: Source, now: datetime) -> None:
    source.failure_count = 0
    source.last_error = ""
    source.last_success_at = now
    source.next_poll_at = now + timedelta(minutes=max(source.poll_minutes, 1))
    source.save()


def _failed(source: Source, now: datetime, message: str) -> PollResult:
    source.failure_count += 1
    source.last_error = message[:500]
    source.next_poll_at = now + backoff(source)
    source.save(update_fields=["failure_count", "last_error", "next_poll_at", "last_polled_at"])
    return PollResult(source.pk, ok=False, error=source.last_error)


def due_sources(now: datetime) -> list[Source]:
    from django.db.models import Q

    return list(
        Source.objects.filter(is_active=True)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at", "id")
    )


def poll_due_sources(now: datetime | None = None, *, force: bool = False) -> list[PollResult]:
    """One polling pass over every due (or, with force, every active) source."""
    now = now or timezone.now()
    sources = (
        list(Source.objects.filter(is_active=True).order_by("id")) if force else due_sources(now)
    )
    results = []
    for source in sources:
        if not claim(source, now):
            continue
        results.append(poll_source(source, now))
    return results
