"""{% navigation as areas %}: the current member's areas and pages (see chorus.web.navigation)."""

from __future__ import annotations

from typing import Any

from django import template

from chorus.web.navigation import Area, navigation

register = template.Library()


@register.simple_tag(takes_context=True, name="navigation")
def navigation_tag(context: dict[str, Any]) -> list[Area]:
    membership = context.get("membership")
    request = context.get("request")
    if membership is None or request is None:
        return []
    match = getattr(request, "resolver_match", None)
    return navigation(membership, match.url_name if match else None)
