"""Delivering the outbox: signed POSTs, in order per endpoint, retried with backoff for a day.

- One worker at a time delivers to an endpoint: it claims the endpoint with a conditional
  UPDATE (`claim`), then sends the endpoint's oldest waiting message, then the next, and
  stops at the first failure: a later event waits for an earlier one that is failing, so a
  receiver sees them in the order they happened. A message still failing `retry_until`
  (CHORUS_WEBHOOK_RETRY_HOURS after its first attempt) is given up, and the next one goes.
- Each attempt is a `DeliveryAttempt` row written before the request, so a worker that dies
  mid-request leaves a trace; the message stays waiting and is sent again (the receiver
  deduplicates by `webhook-id`, which never changes for a message).
- Requests go through `safe_fetch.request` (public addresses only, bounded time and size)
  and are signed as Standard Webhooks require, with the `standardwebhooks` library.
- An endpoint whose attempts have all failed for CHORUS_WEBHOOK_DISABLE_AFTER_DAYS days is
  disabled, and the organisation's admins are told by e-mail in their language.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from chorus.integrations.base import backoff
from chorus.lib import safe_fetch
from chorus.orgs.models import Membership, Role
from chorus.webhooks.models import DeliveryAttempt, Endpoint, Message

logger = logging.getLogger(__name__)

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# How long a worker keeps an endpoint; past it another worker may take over.
CLAIM_FOR = timedelta(minutes=5)
MAX_RESPONSE_BYTES = 64 * 1024


def worker_name() -> str:
    """This worker thread: Huey runs several in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def signed_headers(endpoint: Endpoint, message: Message, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of a message sent at `at`."""
    at = at.astimezone(UTC).replace(microsecond=0)
    signature = Webhook(endpoint.secret).sign(message.message_id, at, message.body)
    return {
        "content-type": "application/json",
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def claim(endpoint_id: int, worker: str) -> bool:
    """Take the endpoint for `worker` unless another worker holds it; True if taken."""
    now = timezone.now()
    return (
        Endpoint.objects.filter(pk=endpoint_id, is_active=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_by=worker, claimed_until=now + CLAIM_FOR)
        == 1
    )


def release(endpoint_id: int, worker: str) -> None:
    Endpoint.objects.filter(pk=endpoint_id, claimed_by=worker).update(
        claimed_by="", claimed_until=None
    )


def due_endpoints() -> list[int]:
    """Active endpoints with a message due now."""
    return list(
        Message.objects.filter(
            status=Message.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__is_active=True,
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
        .order_by("endpoint_id")
    )


def deliver_due(worker: str | None = None) -> int:
    """Deliver what is due on every endpoint; returns how many messages were delivered."""
    worker = worker or worker_name()
    return sum(deliver_endpoint(endpoint_id, worker) for endpoint_id in due_endpoints())


def deliver_endpoint(endpoint_id: int, worker: str | None = None) -> int:
    """Send the endpoint's waiting messages in order until one fails or none is due."""
    worker = worker or worker_name()
    if not claim(endpoint_id, worker):
        return 0
    delivered = 0
    try:
        while True:
            endpoint = Endpoint.objects.get(pk=endpoint_id)
            if not endpoint.is_active:
                break
            head = (
                Message.objects.filter(endpoint=endpoint, status=Message.Status.PENDING)
                .order_by("id")
                .first()
            )
            if head is None or head.next_attempt_at > timezone.now():
                break
            if send(endpoint, head, worker):
                delivered += 1
            elif head.status != Message.Status.FAILED:
                break  # a later message waits; one given up no longer holds the others
    finally:
        release(endpoint_id, worker)
    return delivered


def send(endpoint: Endpoint, message: Message, worker: str) -> bool:
    """One attempt: POST the message, record the outcome; True if the receiver took it."""
    now = timezone.now()
    attempt = DeliveryAttempt.objects.create(
        message=message, worker=worker, replay=message.replay_requested, started_at=now
    )
    status: int | None = None
    excerpt = ""
    try:
        response = safe_fetch.request(
            "POST",
            endpoint.url,
            body=message.body.encode(),
            headers=signed_headers(endpoint, message, now),
            max_bytes=MAX_RESPONSE_BYTES,
            timeout=settings.CHORUS_WEBHOOK_TIMEOUT,
        )
    except safe_fetch.FetchError as error:
        code, text = error.code, error.message
    else:
        status = response.status
        excerpt = response.body[:500].decode("utf-8", "replace")
        if 200 <= status < 300:
            _delivered(endpoint, message, attempt, status, excerpt)
            return True
        code, text = "http_error", f"HTTP {status}"
    _failed(endpoint, message, attempt, code, text, status, excerpt)
    return False


@transaction.atomic
def _delivered(
    endpoint: Endpoint, message: Message, attempt: DeliveryAttempt, status: int, excerpt: str
) -> None:
    now = timezone.now()
    attempt.finished_at = now
    attempt.status_code = status
    attempt.outcome = "delivered"
    attempt.response_excerpt = excerpt
    attempt.save(update_fields=["finished_at", "status_code", "outcome", "response_excerpt"])
    message.status = Message.Status.DELIVERED
    message.delivered_at = now
    message.attempts += 1
    message.last_error = ""
    message.replay_requested = False
    message.save(
        update_fields=["status", "delivered_at", "attempts", "last_error", "replay_requested"]
    )
    if endpoint.failing_since is not None:
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)


@transaction.atomic
def _failed(
    endpoint: Endpoint,
    message: Message,
    attempt: DeliveryAttempt,
    code: str,
    text: str,
    status: int | None,
    excerpt: str,
) -> None:
    now = timezone.now()
    attempt.finished_at = now
    attempt.status_code = status
    attempt.outcome = code[:40]
    attempt.error = text[:500]
    attempt.response_excerpt = excerpt
    attempt.save(
        update_fields=["finished_at", "status_code", "outcome", "error", "response_excerpt"]
    )
    message.attempts += 1
    message.last_error = text[:500]
    if message.retry_until is None:
        message.retry_until = now + timedelta(hours=settings.CHORUS_WEBHOOK_RETRY_HOURS)
    if now >= message.retry_until:
        message.status = Message.Status.FAILED
    else:
        message.next_attempt_at = now + backoff(
            message.attempts, None, base=BASE_DELAY, cap=MAX_DELAY
        )
    message.replay_requested = False
    message.save(
        update_fields=[
            "attempts",
            "last_error",
            "retry_until",
            "status",
            "next_attempt_at",
            "replay_requested",
        ]
    )
    failing_since = endpoint.failing_since or now
    if endpoint.failing_since is None:
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
    if now - failing_since >= timedelta(days=settings.CHORUS_WEBHOOK_DISABLE_AFTER_DAYS):
        disable(endpoint, f"Every delivery failed since {failing_since:%Y-%m-%d %H:%M} UTC.")


def disable(endpoint: Endpoint, reason: str) -> None:
    """Stop delivering to the endpoint and tell the organisation's admins (after commit)."""
    changed = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300]
    )
    if changed:
        logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
        endpoint_id = endpoint.pk
        transaction.on_commit(lambda: tell_admins_disabled(endpoint_id))


def tell_admins_disabled(endpoint_id: int) -> None:
    """E-mail each admin of the organisation, in their language, that the endpoint stopped."""
    endpoint = Endpoint.objects.select_related("org").get(pk=endpoint_id)
    org = endpoint.org
    page = settings.CHORUS_BASE_URL.rstrip("/") + reverse(
        "webhook_detail", kwargs={"org": org.slug, "endpoint_id": endpoint.pk}
    )
    admins = Membership.objects.active().filter(org=org, role=Role.ORG_ADMIN).select_related("user")
    for admin in admins:
        language = admin.user.language or org.default_language
        with translation.override(language):
            context = {
                "org": org,
                "endpoint": endpoint,
                "page": page,
                "days": settings.CHORUS_WEBHOOK_DISABLE_AFTER_DAYS,
            }
            subject = render_to_string("webhooks/email/disabled_subject.txt", context).strip()
            text = render_to_string("webhooks/email/disabled.txt", context)
        EmailMultiAlternatives(
            subject, text, None, [admin.user.email], headers={"Content-Language": language}
        ).send()
