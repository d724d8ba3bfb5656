from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def current_membership(request: HttpRequest) -> dict[str, Any]:
    """Expose the membership set by org_view, and the person's other organisations."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    context: dict[str, Any] = {
        "membership": membership,
        "org": membership.org if membership else None,
    }
    if user is not None and user.is_authenticated:
        context["my_memberships"] = lambda: list(
            user.memberships.active().select_related("org").order_by("org__name")
        )
    return context
