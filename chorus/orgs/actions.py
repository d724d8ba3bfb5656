"""Actions on organisations, teams and members: one transaction each, audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from chorus.orgs.models import AuditEntry, Membership, Organization, Role, Team


def audit(
    org: Organization,
    actor: Any,
    action: str,
    target: Any,
    changes: dict[str, Any] | None = None,
    *,
    label: str | None = None,
) -> AuditEntry:
    """Record that `actor` did `action` on `target` in `org`; `label` replaces the target's
    name (an erased person's entry must not carry it)."""
    return AuditEntry.objects.create(
        org=org,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_label=(str(target) if label is None else label)[:255],
        changes=changes or {},
    )


def _diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply values to obj, returning {field: [old, new]} for those that changed."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [
                str(old) if old is not None else None,
                str(new) if new is not None else None,
            ]
            setattr(obj, field, new)
    return changes


def check_keeps_an_admin(member: Membership, new_role: str | None, still_active: bool) -> None:
    losing_admin = member.role == Role.ORG_ADMIN and (
        new_role != Role.ORG_ADMIN or not still_active
    )
    if losing_admin:
        others = (
            Membership.objects.active()
            .filter(org=member.org, role=Role.ORG_ADMIN)
            .exclude(pk=member.pk)
        )
        if not others.exists():
            raise ValidationError(_("An organisation needs at least one active admin."))


@transaction.atomic
def do_create_organization(name: str, slug: str, admin: Any, language: str = "en") -> Organization:
    """Create an organisation with `admin` as its first org admin."""
    org = Organization.objects.create(name=name, slug=slug, default_language=language)
    membership = Membership.objects.create(org=org, user=admin, role=Role.ORG_ADMIN)
    audit(org, admin, "org.create", org)
    audit(org, admin, "member.add", membership, {"role": [None, Role.ORG_ADMIN]})
    return org


@transaction.atomic
def do_add_member(
    actor: Membership,
    email: str,
    role: str,
    team: Team | None = None,
    *,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Add a person (creating their account if needed) to the actor's organisation.

    Nobody is e-mailed here: chorus.orgs.invitations sends the invitation whose link lets
    the person choose a password (a new account has none) or sign in, and join.
    """
    if Membership.objects.filter(org=actor.org, user__email=email.strip().lower()).exists():
        raise ValidationError(_("This person is already a member."))
    return add_person(
        actor.org, email, role, team, actor=actor.user, first_name=first_name, last_name=last_name
    )


def add_person(
    org: Organization,
    email: str,
    role: str,
    team: Team | None = None,
    *,
    actor: Any = None,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Make `email` a member of `org`, creating an account without a password if needed.

    The caller holds the transaction and has checked the person is not a member yet;
    `actor` is the user who added them (None: the system, e.g. a command).
    """
    User = get_user_model()
    email = email.strip().lower()
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership = Membership.objects.create(org=org, user=user, role=role, team=team)
    audit(
        org,
        actor,
        "member.add",
        membership,
        {"role": [None, role], "team": [None, str(team) if team else None]},
    )
    return membership


@transaction.atomic
def do_change_member(
    actor: Membership, member: Membership, *, role: str, team: Team | None, is_active: bool
) -> dict[str, list[Any]]:
    """Change a member's role, team or active state; refuses to leave the org without admin."""
    member = Membership.objects.select_for_update().get(pk=member.pk)
    check_keeps_an_admin(member, role, is_active)
    changes = _diff(member, {"role": role, "team": team, "is_active": is_active})
    if changes:
        member.save(update_fields=["role", "team", "is_active"])
        audit(actor.org, actor.user, "member.change", member, changes)
    return changes


@transaction.atomic
def do_remove_member(actor: Membership, member: Membership) -> None:
    """Remove a person from the organisation (their account stays)."""
    check_keeps_an_admin(member, None, False)
    Team.objects.filter(manager=member).update(manager=None)
    audit(actor.org, actor.user, "member.remove", member, {"role": [member.role, None]})
    member.delete()


@transaction.atomic
def do_save_team(
    actor: Membership, team: Team | None, *, name: str, manager: Membership | None
) -> Team:
    """Create a team (team=None) or update one."""
    if manager is not None and manager.org_id != actor.org_id:
        raise ValidationError(_("The manager must be a member of this organisation."))
    if team is None:
        team = Team.objects.create(org=actor.org, name=name, manager=manager)
        audit(actor.org, actor.user, "team.create", team, {"name": [None, name]})
        return team
    changes = _diff(team, {"name": name, "manager": manager})
    if changes:
        team.save(update_fields=["name", "manager"])
        audit(actor.org, actor.user, "team.change", team, changes)
    return team


@transaction.atomic
def do_delete_team(actor: Membership, team: Team) -> None:
    """Delete a team; its members stay in the organisation without a team."""
    audit(actor.org, actor.user, "team.delete", team, {"name": [team.name, None]})
    team.delete()


def audit_value(value: Any) -> Any:
    """A value as the audit log keeps it: JSON numbers and text, times as HH:MM."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)


@transaction.atomic
def do_change_settings(
    actor: Membership, current: models.Model, values: dict[str, Any], action: str
) -> dict[str, list[Any]]:
    """Save an organisation's settings row (one per organisation) with `values`, already
    validated, and audit what changed as {field: [before, after]}.

    `current` may be an unsaved row of defaults (nothing saved yet) or an instance a form
    has already changed in memory: the values before are read again from the database,
    under a lock, so that two people saving at once each see what the other saved.
    """
    model = type(current)
    saved = None
    if current.pk is not None:
        saved = model._default_manager.select_for_update().filter(pk=current.pk).first()
    if saved is None:
        saved = model(org=actor.org)  # type: ignore[call-arg]
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(saved, name)
        if old != new:
            changes[name] = [audit_value(old), audit_value(new)]
            setattr(saved, name, new)
    if changes:
        if saved.pk is None:
            saved.save()
        else:
            saved.save(update_fields=list(changes))
        audit(actor.org, actor.user, action, saved, changes)
    return changes
