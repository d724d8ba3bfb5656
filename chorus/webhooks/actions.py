"""Actions on webhook endpoints: one transaction each, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chorus.orgs.actions import audit
from chorus.orgs.models import Membership
from chorus.webhooks.models import Endpoint, Message, new_secret


@transaction.atomic
def do_create_endpoint(
    actor: Membership, *, url: str, events: list[str], description: str = ""
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is shown only now."""
    secret = new_secret()
    endpoint = Endpoint(
        org=actor.org, url=url, events=events, description=description, created_by=actor
    )
    endpoint.secret = secret
    endpoint.save()
    audit(actor.org, actor.user, "webhook.create", endpoint, {"url": [None, url]})
    return endpoint, secret


@transaction.atomic
def do_change_endpoint(
    actor: Membership, endpoint: Endpoint, values: dict[str, Any]
) -> dict[str, list[Any]]:
    """Change the address, events, description or whether it is enabled; returns the changes.

    Enabling an endpoint again clears its failure count, so it is not disabled at once.
    """
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    changes: dict[str, list[Any]] = {}
    for field in ("url", "events", "description", "is_active"):
        if field in values and getattr(endpoint, field) != values[field]:
            changes[field] = [getattr(endpoint, field), values[field]]
            setattr(endpoint, field, values[field])
    if not changes:
        return changes
    if changes.get("is_active") == [False, True]:
        endpoint.failing_since = None
        endpoint.disabled_reason = ""
    elif changes.get("is_active") == [True, False]:
        endpoint.disabled_reason = "Disabled by an administrator."
    endpoint.save()
    audit(actor.org, actor.user, "webhook.change", endpoint, changes)
    return changes


@transaction.atomic
def do_delete_endpoint(actor: Membership, endpoint: Endpoint) -> None:
    audit(actor.org, actor.user, "webhook.delete", endpoint, {"url": [endpoint.url, None]})
    endpoint.delete()


@transaction.atomic
def do_replay(actor: Membership, message: Message) -> Message:
    """Send a message again, as it was (same `webhook-id` and body), with a new day of retries.

    It goes back to the endpoint's queue in its place, so later messages still waiting
    wait for it again; the worker sends it, never this request.
    """
    message = Message.objects.select_for_update().get(pk=message.pk)
    now = timezone.now()
    message.status = Message.Status.PENDING
    message.next_attempt_at = now
    message.retry_until = now + timedelta(hours=settings.CHORUS_WEBHOOK_RETRY_HOURS)
    message.replay_requested = True
    message.save(update_fields=["status", "next_attempt_at", "retry_until", "replay_requested"])
    audit(
        actor.org,
        actor.user,
        "webhook.replay",
        message.endpoint,
        {"message": [None, message.message_id]},
    )
    return message
