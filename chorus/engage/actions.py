"""Changing the rules, one's leaderboard visibility, and challenges: one transaction each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.engage.models import Challenge, LeaderboardPreference, PointsRules
from chorus.engage.onboarding import checklist
from chorus.notify.actions import notify
from chorus.notify.models import Notification
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership
from chorus.program.models import Participation


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


# --- Onboarding nudges -------------------------------------------------------------------


NUDGE_INTERVAL_HOURS = 24


@transaction.atomic
def do_nudge(actor: Membership, member: Membership) -> None:
    """A friendly reminder of the next onboarding step, at most once a day per person."""
    # The participation row is locked so that two managers nudging at once send one nudge.
    participation = (
        Participation.objects.select_for_update()
        .filter(membership=member, status=Participation.Status.ACTIVE)
        .first()
    )
    if participation is None:
        raise ActionRefused(_("Only people who joined the programme can be nudged."))
    since = timezone.now() - timedelta(hours=NUDGE_INTERVAL_HOURS)
    if Notification.objects.filter(
        membership=member, kind=Notification.Kind.NUDGE, created_at__gte=since
    ).exists():
        raise ActionRefused(_("Already nudged in the last 24 hours."))
    steps = checklist(member)
    next_step = next((step for step in steps.steps if not step.done), None)
    if next_step is None:
        raise ActionRefused(_("Onboarding is complete: nothing to nudge about."))
    manager = actor.user.get_full_name() or actor.user.email

    def message() -> str:
        return _("%(manager)s suggests your next step: %(step)s.") % {
            "manager": manager,
            "step": str(next_step.label).lower(),
        }

    notify(member, Notification.Kind.NUDGE, message, next_step.url)
    audit(actor.org, actor.user, "onboarding.nudge", member)
