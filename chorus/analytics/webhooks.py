"""The `figures.daily` webhook event: yesterday's totals, as the dashboard counts them.

It lives with the figures it sends: webhooks sits below analytics and only offers `emit`."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from chorus.analytics.figures import Scope, active_ambassadors, totals, utc_today
from chorus.webhooks.events import emit
from chorus.webhooks.models import Endpoint, Message


def emit_daily_figures(day: date | None = None) -> int:
    """Queue `figures.daily` for `day` (default yesterday, UTC) once per organisation that
    has an endpoint wanting it; returns how many organisations got it. Running it twice for
    a day queues nothing more."""
    day = day or utc_today() - timedelta(days=1)
    key = day.isoformat()
    org_ids = sorted(
        {
            endpoint.org_id
            for endpoint in Endpoint.objects.filter(is_active=True)
            if endpoint.wants("figures.daily")
        }
    )
    sent = 0
    for org_id in org_ids:
        with transaction.atomic():
            if Message.objects.filter(
                org_id=org_id, event_type="figures.daily", event_key=key
            ).exists():
                continue
            scope = Scope(org_id=org_id, start=day, end=day)
            measures = totals(scope).as_dict()
            data = {
                "day": key,
                "active_ambassadors": active_ambassadors(scope),
                **{
                    name: str(value) if name == "conversion_value" else value
                    for name, value in measures.items()
                },
            }
            emit(org_id, "figures.daily", data, key=key)
            sent += 1
    return sent
