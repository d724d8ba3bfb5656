"""Engagement sync: the worker reads published posts' counts back from their networks on a
schedule and keeps each reading as an `EngagementSnapshot`.

Reading the results (dashboard, points, coaching)
-------------------------------------------------

    from chorus.sharing.metrics import latest_engagement, total_engagement

    shares = Share.objects.filter(org=org, membership=member)
    latest = latest_engagement(shares)          # {share id: Engagement}
    figures = latest.get(share.pk)              # None: never measured
    total_engagement(shares).total              # everything people did with them

- `latest_engagement(shares) -> dict[int, Engagement]`: for each share of `shares` (a
  queryset of Share, or share ids) that was measured at least once, its latest counts,
  keyed by share id. Shares never measured are absent (published through a share intent,
  on a network that gives no counts, or too recent). One query, whatever the number.
- `total_engagement(shares) -> Engagement`: the latest counts of those shares added up
  (`taken_at` is the latest reading among them, None when there is none).
- `Engagement`: `reactions` (likes, favourites, LinkedIn reactions of every kind),
  `comments`, `reposts` (boosts, reposts, retweets), `quotes`, `impressions` (None where
  the network does not say; only X does), `taken_at`, and `total`, the four counts
  together.

Counts are running totals as the network shows them at `taken_at`, not increments: use
the latest snapshot of a share; never add two snapshots of the same share. They can go
down (someone removes a like). For a curve over time, read the share's
`engagement_snapshots` (oldest first).

What is measured
----------------
Shares published by Chorus (`method=api`) on Mastodon (`GET /api/v1/statuses/:id`), X
(public metrics), Bluesky when `CHORUS_BLUESKY_APPVIEW_URL` names an AppView, and LinkedIn
when the member granted `r_member_social` (reaction and comment counts only). Shares made
through share intents have no counts: their tracked-link clicks tell their story.

Schedule: a share's counts are read 1 h, 6 h, 1 d, 3 d, 7 d, 14 d and 30 d after it was
published; a step missed by more than the next one is skipped, and nothing is read more
than a day after the 30-day step. The worker runs `sync_due` every 15 minutes
(`chorus sync-engagement` runs it once by hand). A run claims the due shares (a
conditional UPDATE, so two runs never read the same share), asks each connection's network
for its shares in batches, and stores one snapshot per share it got counts for.

When a network fails: a retryable error (429, 5xx, a timeout) puts the connection's
remaining shares off with exponential backoff, never sooner than the network's
Retry-After or rate-limit reset, and after `MAX_FAILURES` in a row that step is skipped; a
refused token marks the connection EXPIRED (its shares wait for the person to reconnect);
a network that gives this connection no counts, or refuses for good, moves the shares to
their next step without a snapshot. A post the network no longer shows gets no snapshot.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from chorus.integrations import registry
from chorus.integrations.base import (
    MetricsUnavailable,
    PermanentError,
    ReconnectError,
    RetryableError,
    backoff,
)
from chorus.sharing.models import Connection, EngagementSnapshot, Share

logger = logging.getLogger(__name__)

# When a share's counts are read, counted from its publication.
SCHEDULE = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=14),
    timedelta(days=30),
)
# How late the last step may still be taken (the worker was down, the network throttled).
LAST_STEP_GRACE = timedelta(days=1)
# Shares claimed by one run, and posts asked for in one call to a client.
RUN_LIMIT = 1000
BATCH_SIZE = 100
# A run that dies leaves its claimed shares to the next run after this.
CLAIM_LEASE = timedelta(minutes=30)
# Backoff after retryable errors: doubled each time, with jitter, up to the cap.
BASE_DELAY = timedelta(minutes=15)
MAX_DELAY = timedelta(hours=12)
MAX_FAILURES = 6


# --- Reading the results ------------------------------------------------------------------


@dataclass(frozen=True)
class Engagement:
    """A post's counts (or several posts' counts added up); see the module docstring."""

    reactions: int = 0
    comments: int = 0
    reposts: int = 0
    quotes: int = 0
    impressions: int | None = None
    taken_at: datetime | None = None

    @property
    def total(self) -> int:
        """Reactions, comments, reposts and quotes together."""
        return self.reactions + self.comments + self.reposts + self.quotes

    def __add__(self, other: Engagement) -> Engagement:
        impressions = [n for n in (self.impressions, other.impressions) if n is not None]
        moments = [moment for moment in (self.taken_at, other.taken_at) if moment is not None]
        return Engagement(
            reactions=self.reactions + other.reactions,
            comments=self.comments + other.comments,
            reposts=self.reposts + other.reposts,
            quotes=self.quotes + other.quotes,
            impressions=sum(impressions) if impressions else None,
            taken_at=max(moments) if moments else None,
        )


def latest_engagement(shares: QuerySet[Share] | Iterable[int]) -> dict[int, Engagement]:
    """Return the latest counts of each measured share, keyed by share id (one query)."""
    latest_id = (
        EngagementSnapshot.objects.filter(share_id=OuterRef("share_id"))
        .order_by("-taken_at", "-id")
        .values("id")[:1]
    )
    share_ids = shares.values("pk") if isinstance(shares, QuerySet) else list(shares)
    snapshots = EngagementSnapshot.objects.filter(
        share_id__in=share_ids, id=Subquery(latest_id)
    ).values_list(
        "share_id", "reactions", "comments", "reposts", "quotes", "impressions", "taken_at"
    )
    return {
        share_id: Engagement(reactions, comments, reposts, quotes, impressions, taken_at)
        for share_id, reactions, comments, reposts, quotes, impressions, taken_at in snapshots
    }


def total_engagement(shares: QuerySet[Share] | Iterable[int]) -> Engagement:
    """Return the latest counts of the shares added up."""
    total = Engagement()
    for engagement in latest_engagement(shares).values():
        total += engagement
    return total


# --- The schedule -----------------------------------------------------------------------------


def next_step(published_at: datetime, after: datetime) -> datetime | None:
    """Return the first step of the schedule later than `after`, or None when it is over."""
    for step in SCHEDULE:
        if published_at + step > after:
            return published_at + step
    return None


def due_shares(now: datetime) -> QuerySet[Share]:
    """The shares whose counts are due now, on a live connection."""
    first_step = now - SCHEDULE[0]
    window_start = now - SCHEDULE[-1] - LAST_STEP_GRACE
    return (
        Share.objects.filter(
            status=Share.Status.PUBLISHED,
            method=Share.Method.API,
            metrics_done=False,
            network__in=registry.measured_networks(),
            connection__status=Connection.Status.ACTIVE,
            published_at__gte=window_start,
        )
        .exclude(remote_id="")
        .filter(
            Q(metrics_next_at__lte=now)
            | Q(metrics_next_at__isnull=True, published_at__lte=first_step)
        )
    )


# --- The sync ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What one run did, for logs and the command's output."""

    snapshots: int = 0
    postponed: int = 0  # retryable errors: tried again later
    skipped: int = 0  # no counts for these (post gone, network gives none)
    reconnect: list[int] = field(default_factory=list)  # connections marked EXPIRED


def sync_due(now: datetime | None = None, *, limit: int = RUN_LIMIT) -> SyncReport:
    """Read the counts of every due share (at most `limit`) and store a snapshot of each."""
    now = now or timezone.now()
    report = SyncReport()
    _close_finished(now)
    candidates = list(
        due_shares(now).order_by("published_at", "pk").values_list("pk", flat=True)[:limit]
    )
    claimed = _claim(candidates, now)
    shares = Share.objects.filter(pk__in=claimed).order_by("connection_id", "pk")
    # Each connection's credentials are decrypted once, not once per share.
    connections = Connection.objects.in_bulk({share.connection_id for share in shares})
    for connection_id, group in groupby(shares, key=lambda share: share.connection_id):
        _sync_connection(connections[connection_id], list(group), now, report)
    if claimed:
        logger.info(
            "engagement sync: %s snapshots, %s postponed, %s skipped, %s to reconnect",
            report.snapshots,
            report.postponed,
            report.skipped,
            len(report.reconnect),
        )
    return report


def _close_finished(now: datetime) -> None:
    """End the schedule of shares past their last step (and its grace) in one UPDATE."""
    Share.objects.filter(
        status=Share.Status.PUBLISHED,
        method=Share.Method.API,
        metrics_done=False,
        published_at__lt=now - SCHEDULE[-1] - LAST_STEP_GRACE,
    ).update(metrics_done=True, metrics_next_at=None)


def _claim(share_ids: list[int], now: datetime) -> list[int]:
    """Take the due shares for this run; another run, even at the same moment, gets none
    of them. The lease is both the claim and the retry time if this run dies."""
    if not share_ids:
        return []
    # Random microseconds make this run's lease value its own, so the second query finds
    # exactly the rows this UPDATE changed.
    lease = now + CLAIM_LEASE + timedelta(microseconds=random.randrange(1, 1_000_000))  # noqa: S311
    due_shares(now).filter(pk__in=share_ids).update(metrics_next_at=lease)
    return list(
        Share.objects.filter(pk__in=share_ids, metrics_next_at=lease).values_list("pk", flat=True)
    )


def _sync_connection(
    connection: Connection, shares: list[Share], now: datetime, report: SyncReport
) -> None:
    """Read one connection's due shares in batches; stop at the first failure, which
    decides for the shares not read yet."""
    client = registry.metrics_client_for(connection.network)
    if client is None:
        _advance(shares, now, report, measured=False)
        return
    stored_credentials = connection.credentials
    credentials = dict(stored_credentials)
    position = 0
    try:
        while position < len(shares):
            batch = shares[position : position + BATCH_SIZE]
            counts = client.fetch_metrics(credentials, [share.remote_id for share in batch])
            taken_at = timezone.now()
            snapshots = [
                EngagementSnapshot(
                    org_id=share.org_id,
                    share=share,
                    taken_at=taken_at,
                    reactions=metrics.reactions,
                    comments=metrics.comments,
                    reposts=metrics.reposts,
                    quotes=metrics.quotes,
                    impressions=metrics.impressions,
                    raw=metrics.raw,
                )
                for share in batch
                if (metrics := counts.get(share.remote_id)) is not None
            ]
            EngagementSnapshot.objects.bulk_create(snapshots)
            report.snapshots += len(snapshots)
            report.skipped += len(batch) - len(snapshots)
            _advance(batch, now, report, measured=True)
            position += len(batch)
    except MetricsUnavailable:
        _advance(shares[position:], now, report, measured=False)
    except RetryableError as error:
        logger.info("engagement of connection %s postponed: %s", connection.pk, error.message)
        _postpone(shares[position:], now, report, error.retry_after)
    except ReconnectError as error:
        _reconnect(connection, stored_credentials, shares[position:], now, report, error)
    except PermanentError as error:
        logger.warning("engagement of connection %s refused: %s", connection.pk, error.message)
        _advance(shares[position:], now, report, measured=False)
    except Exception:
        # A bug or an answer nobody expected must not stop the other connections.
        logger.exception("engagement sync failed for connection %s", connection.pk)
        _postpone(shares[position:], now, report, None)
    finally:
        if credentials != stored_credentials:
            # A refreshed session or rotated refresh token: the old one no longer works.
            connection.credentials = credentials
            connection.save(update_fields=["credentials", "updated_at"])


def _advance(shares: list[Share], now: datetime, report: SyncReport, *, measured: bool) -> None:
    """Move the shares to their next step, or end their schedule after the last one."""
    for share in shares:
        assert share.published_at is not None  # due_shares only takes published ones
        share.metrics_next_at = next_step(share.published_at, now)
        share.metrics_done = share.metrics_next_at is None
        share.metrics_failures = 0
    if not measured:
        report.skipped += len(shares)
    Share.objects.bulk_update(shares, ["metrics_next_at", "metrics_done", "metrics_failures"])


def _postpone(
    shares: list[Share], now: datetime, report: SyncReport, retry_after: float | None
) -> None:
    """Try again later, later each time; give up this step after MAX_FAILURES."""
    waiting: list[Share] = []
    given_up: list[Share] = []
    for share in shares:
        share.metrics_failures += 1
        if share.metrics_failures > MAX_FAILURES:
            given_up.append(share)
        else:
            share.metrics_next_at = now + backoff(
                share.metrics_failures, retry_after, base=BASE_DELAY, cap=MAX_DELAY
            )
            waiting.append(share)
    report.postponed += len(waiting)
    Share.objects.bulk_update(waiting, ["metrics_next_at", "metrics_failures"])
    if given_up:
        _advance(given_up, now, report, measured=False)


def _reconnect(
    connection: Connection,
    stored_credentials: dict[str, object],
    shares: list[Share],
    now: datetime,
    report: SyncReport,
    error: ReconnectError,
) -> None:
    """The token was refused: the person must reconnect, unless another worker renewed
    the token while we used the old one (X spends a refresh token once used)."""
    current = (
        Connection.objects.filter(pk=connection.pk).values_list("credentials", flat=True).first()
    )
    if current is not None and current != stored_credentials:
        _postpone(shares, now, report, None)
        return
    Connection.objects.filter(pk=connection.pk, status=Connection.Status.ACTIVE).update(
        status=Connection.Status.EXPIRED, last_error=error.message[:300], updated_at=now
    )
    report.reconnect.append(connection.pk)
    # Read as soon as the person reconnects (the due query skips expired connections).
    for share in shares:
        share.metrics_next_at = now
    Share.objects.bulk_update(shares, ["metrics_next_at"])
