"""The events an endpoint may subscribe to, and `emit`, which writes them to the outbox.

`emit` must run inside the transaction of the change it reports (the `do_*` action, or a
receiver of a signal sent inside it): the message rows commit or roll back with the change,
so an event is never announced for a change that did not happen, nor lost when the process
dies after the commit. Delivery is the worker's (chorus.webhooks.delivery), never the
request's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Organization
from chorus.webhooks.models import Endpoint, Message

EVENT_TYPES = {
    "content.published": _("Content published in the library"),
    "share.published": _("A share was published on a network"),
    "share.failed": _("A share could not be published"),
    "conversion.created": _("A conversion was recorded"),
    "member.joined_programme": _("A member joined the programme"),
    "member.left_programme": _("A member left the programme"),
    "suggestion.created": _("A member suggested content"),
    "figures.daily": _("Yesterday's figures, every morning"),
}


def payload(event_type: str, data: dict[str, Any], at: datetime | None = None) -> str:
    """The body of a message, as the Standard Webhooks specification recommends."""
    when = (at or timezone.now()).astimezone(UTC)
    return json.dumps(
        {"type": event_type, "timestamp": when.isoformat().replace("+00:00", "Z"), "data": data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def emit(
    org: Organization | int,
    event_type: str,
    data: dict[str, Any],
    key: str = "",
    *,
    subject: int | None = None,
) -> int:
    """Queue the event for every active endpoint of the organisation that subscribed to it;
    returns how many messages were written. Call it inside the change's transaction.
    `subject`: the id of the membership the event is about (erasure deletes its messages)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event {event_type!r}.")
    org_id = org if isinstance(org, int) else org.pk
    # An organisation has a handful of endpoints: filter the JSON list here, portably.
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(org_id=org_id, is_active=True)
        if endpoint.wants(event_type)
    ]
    if not endpoints:
        return 0
    now = timezone.now()
    body = payload(event_type, data, now)
    with transaction.atomic():
        Message.objects.bulk_create(
            Message(
                org_id=org_id,
                endpoint=endpoint,
                event_type=event_type,
                event_key=key,
                subject_id=subject,
                body=body,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        )
    return len(endpoints)
