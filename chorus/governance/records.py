"""The audit log as a file for the compliance team: filtered, in CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from chorus.orgs.models import AuditEntry, Organization

AUDIT_COLUMNS = ("at", "actor", "action", "target_type", "target_id", "target", "changes")


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(
    org: Organization,
    *,
    since: date | None = None,
    until: date | None = None,
    actor: str = "",
    action: str = "",
) -> QuerySet[AuditEntry]:
    """The organisation's audit entries from `since` to `until` (both days included), by an
    actor (e-mail, exact, any case) and an action (exact, or a prefix ending in ".")."""
    entries = AuditEntry.objects.filter(org=org).order_by("created_at", "id")
    if since:
        entries = entries.filter(created_at__gte=day_start(since))
    if until:
        entries = entries.filter(created_at__lt=day_start(until + timedelta(days=1)))
    if actor:
        entries = entries.filter(actor_email__iexact=actor.strip())
    if action:
        action = action.strip()
        entries = (
            entries.filter(action__startswith=action)
            if action.endswith(".")
            else entries.filter(action=action)
        )
    return entries


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.created_at.isoformat(),
        "actor": entry.actor_email,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target": entry.target_label,
        "changes": entry.changes,
    }


def as_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> Iterator[str]:
    """CSV lines, one per row (nested values as JSON), the header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict | list)
                else value
                for key, value in row.items()
            }
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def refused(form: Form) -> HttpResponse:
    """400 with the filters' errors by field, as JSON."""
    return HttpResponse(
        json.dumps(form.errors, ensure_ascii=False), status=400, content_type="application/json"
    )


def download(
    rows: Iterable[dict[str, Any]], columns: Iterable[str], file_format: str, name: str
) -> HttpResponse:
    """The rows as an attachment `name`.csv (streamed) or `name`.json."""
    if file_format == "json":
        response = HttpResponse(
            json.dumps(list(rows), ensure_ascii=False), content_type="application/json"
        )
    else:
        # Views are typed for HttpResponse; Django serves a streaming response the same way.
        response = cast(
            HttpResponse, StreamingHttpResponse(as_csv(rows, columns), content_type="text/csv")
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response
