from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from chorus.notify.actions import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's count for the membership set by org_view, computed only if a page shows it."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {"unread_notifications": lambda: unread_count(membership)}
