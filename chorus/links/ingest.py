"""Moving journaled clicks into the database, exactly once, then rebuilding daily rollups."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from chorus.links.agents import classify
from chorus.links.journal import REDIS_KEY, ROTATE_SECONDS
from chorus.links.models import Click, DailySalt, JournalCursor, LinkDay, TrackedLink

logger = logging.getLogger(__name__)
CHUNK = 4 * 1024 * 1024
GRACE_SECONDS = 300


def _clicks(lines: list[bytes]) -> list[Click]:
    clicks = []
    known_links = None
    for line in lines:
        try:
            record: dict[str, Any] = json.loads(line)
            visitor = classify(record.get("u", ""))
            clicks.append(
                Click(
                    org_id=int(record["o"]),
                    link_id=int(record["l"]),
                    event_id=str(record["e"])[:32],
                    occurred_at=datetime.fromtimestamp(float(record["t"]), UTC),
                    visitor=str(record["v"])[:32],
                    is_bot=visitor.is_bot,
                    bot_reason=visitor.bot_reason[:120],
                    device=visitor.device,
                    referrer_domain=str(record.get("r", ""))[:253],
                    fallback=bool(record.get("f")),
                )
            )
        except (ValueError, KeyError, TypeError):
            logger.warning("Skipping an unreadable click journal line: %r", line[:200])
    if clicks:
        # A link deleted since the click was journaled: nothing left to count it against.
        known_links = set(
            TrackedLink.objects.filter(pk__in={c.link_id for c in clicks}).values_list(
                "pk", flat=True
            )
        )
        clicks = [click for click in clicks if click.link_id in known_links]
    return clicks


def _store(clicks: list[Click]) -> set[tuple[int, date]]:
    Click.objects.bulk_create(clicks, ignore_conflicts=True, batch_size=1000)
    return {(click.link_id, click.occurred_at.date()) for click in clicks}


def ingest_files(directory: Path | None = None) -> tuple[int, set[tuple[int, date]]]:
    """Ingest every journal file from where the last run stopped; delete finished files."""
    directory = directory or Path(settings.CHORUS_CLICK_JOURNAL_DIR)
    if not directory.exists():
        return 0, set()
    total, touched = 0, set()
    current_bucket = int(time.time() // ROTATE_SECONDS)
    for path in sorted(directory.glob("*.jsonl")):
        while True:
            with transaction.atomic():
                cursor, _ = JournalCursor.objects.select_for_update().get_or_create(name=path.name)
                with path.open("rb") as handle:
                    handle.seek(cursor.offset)
                    data = handle.read(CHUNK)
                end = data.rfind(b"\n")
                if end < 0:
                    break
                lines = [line for line in data[: end + 1].split(b"\n") if line.strip()]
                clicks = _clicks(lines)
                touched |= _store(clicks)
                total += len(clicks)
                cursor.offset += end + 1
                cursor.save(update_fields=["offset", "updated_at"])
        _delete_if_finished(path, current_bucket)
    return total, touched


def _delete_if_finished(path: Path, current_bucket: int) -> None:
    try:
        bucket = int(path.name.split("-", 1)[0])
    except ValueError:
        return
    stat = path.stat()
    ended = bucket < current_bucket and time.time() - stat.st_mtime > GRACE_SECONDS
    cursor = JournalCursor.objects.filter(name=path.name).first()
    if ended and cursor is not None and cursor.offset >= stat.st_size:
        path.unlink()
        cursor.delete()


def ingest_redis(batch: int = 5000) -> tuple[int, set[tuple[int, date]]]:
    """Ingest the Redis journal; a line is removed only after its click is stored."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    total, touched = 0, set()
    while True:
        lines = client.lrange(REDIS_KEY, 0, batch - 1)
        if not lines:
            break
        with transaction.atomic():
            clicks = _clicks([line if isinstance(line, bytes) else line.encode() for line in lines])
            touched |= _store(clicks)
        # Only the lines just stored are trimmed; new clicks are appended at the other end.
        client.ltrim(REDIS_KEY, len(lines), -1)
        total += len(clicks)
    return total, touched


def rebuild_days(touched: set[tuple[int, date]]) -> None:
    """Recompute the daily rollup of each (link, day) that received clicks."""
    for link_id, day in touched:
        start = datetime.combine(day, datetime.min.time(), UTC)
        stats = Click.objects.filter(
            link_id=link_id, occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)
        ).aggregate(
            clicks=Count("id", filter=Q(is_bot=False)),
            bot_clicks=Count("id", filter=Q(is_bot=True)),
            unique_visitors=Count("visitor", filter=Q(is_bot=False), distinct=True),
        )
        org_id = TrackedLink.objects.filter(pk=link_id).values_list("org_id", flat=True).first()
        if org_id is None:
            continue
        LinkDay.objects.update_or_create(
            link_id=link_id, day=day, defaults={"org_id": org_id, **stats}
        )


def ingest() -> int:
    """One ingestion pass over the configured journal, then the rollups and old salts."""
    if settings.CHORUS_CLICK_JOURNAL == "redis":
        total, touched = ingest_redis()
    else:
        total, touched = ingest_files()
    rebuild_days(touched)
    # Yesterday's salt is kept for clicks that straddle midnight; older ones are erased.
    DailySalt.objects.filter(day__lt=datetime.now(UTC).date() - timedelta(days=1)).delete()
    return total
