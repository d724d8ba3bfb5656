"""Changing the organisation's analytics settings, audited."""

from __future__ import annotations

from typing import Any

from chorus.analytics.figures import settings_for
from chorus.orgs.actions import do_change_settings
from chorus.orgs.models import Membership


def do_change_analytics_settings(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change what results are worth and who counts as regular; audited before → after."""
    return do_change_settings(actor, settings_for(actor.org_id), values, "analytics.settings")
