"""The publishing engine: due shares are claimed, published at most once, retried with
backoff on retryable errors and stopped with a clear reason on permanent ones.

At most once, even with several workers and retries:
- a worker claims a share with a conditional UPDATE (status scheduled → publishing, only if
  still scheduled and due); the database lets exactly one worker win;
- before calling the network, an Attempt row is committed; if a previous attempt exists whose
  outcome is unknown (the worker died, or the call timed out after sending), the engine first
  asks the network whether the post exists (`find_published`) — Mastodon also deduplicates
  by Idempotency-Key — and only posts again when it certainly does not;
- a claim older than CLAIM_TIMEOUT is considered abandoned and reclaimed the same way.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.governance.rules import disclosure_for, with_disclosure
from chorus.integrations import registry
from chorus.integrations.base import (
    PermanentError,
    Post,
    PostImage,
    Published,
    ReconnectError,
    RetryableError,
    UnknownOutcome,
    backoff,
)
from chorus.integrations.capabilities import MediaLimits
from chorus.lib.images import ImageRefused, fit
from chorus.links.actions import short_url
from chorus.sharing.models import Attempt, Connection, Share
from chorus.webhooks.events import emit

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=60)  # doubled at each attempt, with jitter
MAX_DELAY = timedelta(hours=6)
CLAIM_TIMEOUT = timedelta(minutes=10)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def due_ids(limit: int = 200) -> list[int]:
    now = timezone.now()
    stale = now - CLAIM_TIMEOUT
    return list(
        Share.objects.filter(
            Q(status=Share.Status.SCHEDULED, scheduled_for__lte=now)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=Share.Status.PUBLISHING, claimed_at__lt=stale)
        )
        .order_by("scheduled_for", "id")
        .values_list("id", flat=True)[:limit]
    )


def claim(share_id: int, worker: str) -> bool:
    """Take the share for this worker; True for exactly one worker."""
    now = timezone.now()
    stale = now - CLAIM_TIMEOUT
    return bool(
        Share.objects.filter(pk=share_id)
        .filter(
            Q(status=Share.Status.SCHEDULED, scheduled_for__lte=now)
            | Q(status=Share.Status.PUBLISHING, claimed_at__lt=stale)
        )
        .update(status=Share.Status.PUBLISHING, claimed_by=worker, claimed_at=now)
    )


def text_to_post(share: Share) -> str:
    """The share's text as it goes out, carrying the organisation's disclosure.

    Composing and editing already refuse a text without it; this is the last guard, for
    every path that posts (the network's API, a share intent, a copy, a message): a text
    changed in some other way (an import, the admin) still carries it.
    """
    if share.membership is None:
        return share.text
    return with_disclosure(share.text, disclosure_for(share.membership, share.network))


def post_for(share: Share, media: MediaLimits | None = None) -> Post:
    """What the client sends for a share: its text and link, and its images fitted to the
    network's `media` limits (raises ImageRefused when one cannot be made to fit)."""
    item = share.item
    url = short_url(share.link) if share.link is not None else item.url
    return Post(
        text=text_to_post(share),
        url=url,
        title=item.title,
        description=item.summary[:300],
        language=item.language,
        idempotency_key=str(share.idempotency_key),
        images=_images(share, media) if media is not None else (),
    )


def _images(share: Share, media: MediaLimits) -> tuple[PostImage, ...]:
    language = share.item.language or share.org.default_language
    images = []
    for image in share.images.order_by("position", "id"):
        try:
            with image.file.open("rb") as stored:
                data = stored.read()
        except (OSError, ValueError) as error:
            raise ImageRefused(_("An image of this post is missing from storage.")) from error
        fitted = fit(
            data, formats=media.formats, max_bytes=media.max_bytes, max_side=media.max_side
        )
        images.append(
            PostImage(
                data=fitted.data,
                mime_type=fitted.mime_type,
                alt=image.alt_for(language)[: media.max_alt],
                width=fitted.width,
                height=fitted.height,
            )
        )
    return tuple(images)


def publish_share(share_id: int, worker: str | None = None) -> str:
    """Claim and publish one share; returns the share's final status for this run."""
    worker = worker or worker_name()
    if not claim(share_id, worker):
        return "not-claimed"
    share = Share.objects.select_related("item", "link", "connection", "membership").get(
        pk=share_id
    )
    connection = share.connection
    if share.membership_id is None or connection is None:
        return _stop(share, "no_connection", "The network is not connected.")
    if connection.status != Connection.Status.ACTIVE:
        return _stop(share, "reconnect", "The network must be reconnected.")
    integration = registry.find(share.network)
    client = integration.client if integration is not None else None
    if integration is None or client is None:
        return _stop(share, "unsupported", "This network cannot be published to by Chorus.")
    try:
        post = post_for(share, integration.media)
    except ImageRefused as refusal:
        return _stop(share, "image_refused", str(refusal))
    credentials = dict(connection.credentials)

    previous = share.publish_attempts.filter(Q(outcome="") | Q(outcome="unknown")).exists()
    if previous and integration.reconcile == "ask":
        # The network cannot tell whether the earlier attempt posted: the person looks.
        return _park(
            share, "unknown_outcome", f"{integration.label} cannot tell whether it was posted."
        )
    if previous and integration.reconcile == "look":
        # An earlier attempt may have posted: look before posting again. (A network that
        # deduplicates by idempotency key, "resend", is reconciled by sending again.)
        try:
            found = client.find_published(credentials, post)
        except RetryableError as error:
            logger.info("reconciling share %s failed: %s", share.pk, error)
            return _park(share, "unknown_outcome", error.message)
        except PermanentError as error:
            found = None
            logger.info("reconciling share %s failed: %s", share.pk, error)
        if found is not None:
            _save_credentials(connection, credentials)
            return _done(share, found, None)

    attempt = Attempt.objects.create(share=share, worker=worker)
    try:
        published = client.publish(credentials, post)
    except UnknownOutcome as error:
        return _retry(share, attempt, error, outcome="unknown")
    except RetryableError as error:
        return _retry(share, attempt, error, outcome="retry")
    except ReconnectError as error:
        _finish(attempt, "reconnect")
        connection.status = Connection.Status.EXPIRED
        connection.last_error = error.message[:300]
        connection.save(update_fields=["status", "last_error", "updated_at"])
        return _stop(share, "reconnect", error.message)
    except PermanentError as error:
        _finish(attempt, error.code)
        return _stop(share, error.code, error.message)
    finally:
        _save_credentials(connection, credentials)
    return _done(share, published, attempt)


def _save_credentials(connection: Connection, credentials: dict) -> None:
    """Keep what a client refreshed (a new session, a rotated refresh token)."""
    if credentials != connection.credentials:
        connection.credentials = credentials
        connection.save(update_fields=["credentials", "updated_at"])


def _finish(attempt: Attempt, outcome: str) -> None:
    attempt.finished_at = timezone.now()
    attempt.outcome = outcome
    attempt.save(update_fields=["finished_at", "outcome"])


@transaction.atomic
def _done(share: Share, published: Published, attempt: Attempt | None) -> str:
    if attempt is not None:
        _finish(attempt, "published")
    share.status = Share.Status.PUBLISHED
    share.published_at = timezone.now()
    share.remote_id = published.remote_id[:255]
    share.remote_url = published.remote_url[:500]
    share.error_code = share.error = ""
    share.attempts += 1
    share.save()
    emit(share.org_id, "share.published", _share_data(share), subject=share.membership_id)
    return share.status


def _share_data(share: Share) -> dict[str, Any]:
    """What the organisation's webhooks are told about a share."""
    data: dict[str, Any] = {
        "id": share.pk,
        "content_id": share.item_id,
        "member_id": share.membership_id,
        "network": share.network,
    }
    if share.status == Share.Status.PUBLISHED:
        data.update(remote_url=share.remote_url, published_at=share.published_at)
    else:
        data.update(error_code=share.error_code, error=share.error)
    return data


def _failed(share: Share) -> None:
    """Save a share that failed for good, with its `share.failed` event, in one transaction."""
    with transaction.atomic():
        share.save()
        emit(share.org_id, "share.failed", _share_data(share), subject=share.membership_id)


def _retry(share: Share, attempt: Attempt, error: RetryableError, *, outcome: str) -> str:
    _finish(attempt, outcome)
    share.attempts += 1
    share.error_code = error.code[:40]
    share.error = error.message[:500]
    if share.attempts >= MAX_ATTEMPTS:
        share.status = Share.Status.FAILED
        _failed(share)
        _tell(share)
        return share.status
    share.status = Share.Status.SCHEDULED
    share.next_attempt_at = timezone.now() + backoff(
        share.attempts, error.retry_after, base=BASE_DELAY, cap=MAX_DELAY
    )
    share.claimed_by = ""
    share.claimed_at = None
    share.save()
    return "retry"


def _park(share: Share, code: str, message: str) -> str:
    """The outcome cannot be known: ask the person to look, never post twice."""
    share.status = Share.Status.CHECK
    share.error_code = code
    share.error = message[:500]
    share.save()
    _tell(share)
    return share.status


def _stop(share: Share, code: str, message: str) -> str:
    share.status = Share.Status.FAILED
    share.error_code = code[:40]
    share.error = message[:500]
    _failed(share)
    _tell(share)
    return share.status


def _tell(share: Share) -> None:
    from chorus.sharing.notices import notify_share_problem

    notify_share_problem(share)
