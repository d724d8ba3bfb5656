"""Changing the rules, one's leaderboard visibility, and challenges: one transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from chorus.engage.models import Challenge, LeaderboardPreference, PointsRules
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


class ActionRefused(Exception):
    """A clear, translated reason why an action cannot be done now."""


@transaction.atomic
def do_save_rules(actor: Membership, rules: PointsRules, data: dict[str, Any]) -> PointsRules:
    """Save new rules and recompute the organisation's points with them."""
    from chorus.engage.tasks import award_org_points

    changes = {}
    for name, value in data.items():
        old = getattr(rules, name)
        if old != value:
            changes[name] = [old, value]
            setattr(rules, name, value)
    if changes:
        rules.save()
        audit(actor.org, actor.user, "points.rules", rules, changes)
        org_id = actor.org_id
        transaction.on_commit(lambda: award_org_points(org_id))
    return rules


@transaction.atomic
def do_set_visibility(member: Membership, visible: bool) -> LeaderboardPreference:
    """Show or hide the person on leaderboards (and, hidden, hide others' ranks from them)."""
    preference, _created = LeaderboardPreference.objects.update_or_create(
        membership=member, defaults={"org": member.org, "visible": visible}
    )
    return preference


@transaction.atomic
def do_save_challenge(
    actor: Membership, challenge: Challenge | None, data: dict[str, Any]
) -> Challenge:
    """Create a challenge, or change one that has not closed yet."""
    created = challenge is None
    if challenge is not None:
        challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if challenge.is_closed:
            raise ActionRefused(_("This challenge is over: its results are final."))
    else:
        challenge = Challenge(org=actor.org, created_by=actor)
    changes = {}
    for name, value in data.items():
        old = getattr(challenge, name)
        if old != value:
            changes[name] = [str(old) if old is not None else None, str(value)]
            setattr(challenge, name, value)
    challenge.save()
    action = "challenge.create" if created else "challenge.edit"
    audit(actor.org, actor.user, action, challenge, changes)
    return challenge
