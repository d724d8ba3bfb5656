"""What the directory does to the organisation through SCIM: one transaction per request,
every change audited with the token's name as the actor.

Deactivation (``active: false``, or DELETE) is the heart of it: the member keeps their
place in the organisation's history but loses access at once — their sessions end (every
session of the account: a session is not tied to one organisation), their API tokens for
the organisation are revoked, pending invitations die, and they leave the ambassador
programme through the programme's own path (`do_leave`), which cancels scheduled shares
and disconnects their networks; their contributions are kept or anonymised as the
organisation's SCIM setting says, and the figures keep what they did either way. When the
organisation was the account's last active one, the account is switched off too, so the
person cannot sign back in. Reactivation restores access (the account if SCIM switched it
off) but not the programme: they are invited again like anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from scim2_models import (
    InvalidValueException,
    MutabilityException,
    UniquenessException,
)

from chorus.accounts.personal_data import delete_sessions
from chorus.api.models import Token
from chorus.orgs.actions import add_person, audit, check_keeps_an_admin
from chorus.orgs.models import Invitation, Membership, Organization, Role, Team
from chorus.program.actions import do_leave
from chorus.program.models import Participation
from chorus.scim.access import all_people
from chorus.scim.models import ScimGroup, ScimSettings, ScimUser
from chorus.scim.resources import Group, User
from chorus.scim.tokens import Provisioner

NAME_MAX = 150  # the account's first_name and last_name
TEXT_MAX = 254  # userName, externalId, an e-mail address


def settings_of(org: Organization) -> ScimSettings:
    """The organisation's SCIM setting (defaults, unsaved, when never changed)."""
    found = ScimSettings.objects.filter(org=org).first()
    return found if found is not None else ScimSettings(org=org)


# --- Users ---------------------------------------------------------------------------------


@dataclass
class UserValues:
    """A User resource read into what Chorus stores."""

    user_name: str
    email: str
    emails: list[dict[str, Any]]
    first_name: str
    last_name: str
    external_id: str
    active: bool


def _text(value: str | None, attribute: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidValueException(detail=f"{attribute} is longer than {limit} characters.")
    return value


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def read_user(resource: User, *, active_default: bool) -> UserValues:
    """Check a User resource and turn it into the values Chorus stores."""
    user_name = _text(resource.user_name, "userName", TEXT_MAX)
    if not user_name:
        raise InvalidValueException(detail="userName is required.")
    emails: list[dict[str, Any]] = []
    for entry in resource.emails or []:
        value = _text(entry.value, "emails.value", TEXT_MAX)
        if not _is_email(value):
            raise InvalidValueException(detail=f"emails: {value!r} is not an e-mail address.")
        kept: dict[str, Any] = {"value": value}
        if entry.type is not None:
            kept["type"] = _text(str(entry.type), "emails.type", 40)
        if entry.primary is not None:
            kept["primary"] = entry.primary
        emails.append(kept)
    if not emails:
        # Directories that send no e-mail list use the address as userName.
        if not _is_email(user_name):
            raise InvalidValueException(
                detail="emails is required: Chorus writes to people at their address."
            )
        emails = [{"value": user_name, "primary": True}]
    primary = next((entry for entry in emails if entry.get("primary")), emails[0])
    name = resource.name
    return UserValues(
        user_name=user_name,
        email=primary["value"].lower(),
        emails=emails,
        first_name=_text(name.given_name if name else None, "name.givenName", NAME_MAX),
        last_name=_text(name.family_name if name else None, "name.familyName", NAME_MAX),
        external_id=_text(resource.external_id, "externalId", TEXT_MAX),
        active=active_default if resource.active is None else resource.active,
    )


def _user_name_holder(org: Organization, user_name: str) -> Membership | None:
    # The annotation made by all_people(), which the type checker cannot see.
    return all_people(org).filter(**{"scim_user_name__iexact": user_name}).first()


def _is_deleted(member: Membership) -> bool:
    scim = getattr(member, "scim", None)
    return scim is not None and scim.deleted_at is not None


@transaction.atomic
def do_create_user(client: Provisioner, values: UserValues) -> Membership:
    """Add a person to the organisation (or bring back one a DELETE removed, or take over a
    member added by hand with the same address, who was not provisioned yet)."""
    org = client.token.org
    # Serialise creations in one organisation: two requests for one userName at once
    # must not both pass the uniqueness check below.
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    holder = _user_name_holder(org, values.user_name)
    if holder is not None and not _is_deleted(holder):
        raise UniquenessException(detail=f"userName {values.user_name!r} is already taken.")
    same_address = all_people(org).filter(user__email=values.email).first()
    if same_address is not None and same_address != holder:
        scim = getattr(same_address, "scim", None)
        provisioned = scim is not None and scim.user_name and scim.deleted_at is None
        if provisioned:
            raise UniquenessException(
                detail=f"Another User of this organisation has the address {values.email}."
            )
        holder = same_address
    if holder is not None:
        ScimUser.objects.update_or_create(
            membership=holder, defaults={"deleted_at": None, "user_name": values.user_name}
        )
        holder.refresh_from_db()
        audit(org, client, "scim.user.link", holder)
        return _replace(client, holder, values)
    account = get_user_model().objects.filter(email=values.email).first()
    member = add_person(
        org,
        values.email,
        Role.AMBASSADOR,
        None,
        actor=client,
        first_name=values.first_name,
        last_name=values.last_name,
    )
    ScimUser.objects.create(
        membership=member,
        user_name=values.user_name,
        external_id=values.external_id,
        emails=values.emails,
    )
    if account is not None and not _shared(member):
        # An account that belongs to no other organisation takes the directory's names.
        _save_account(member, values)
    if not values.active:
        _deactivate(client, member, deleting=False)
    return member


@transaction.atomic
def do_replace_user(client: Provisioner, member: Membership, values: UserValues) -> Membership:
    """PUT (and PATCH, once applied): the member becomes what `values` say."""
    member = Membership.objects.select_for_update().select_related("user", "org").get(pk=member.pk)
    holder = _user_name_holder(member.org, values.user_name)
    if holder is not None and holder.pk != member.pk:
        raise UniquenessException(detail=f"userName {values.user_name!r} is already taken.")
    return _replace(client, member, values)


def _shared(member: Membership) -> bool:
    """True when the account also belongs to another organisation: its name and address
    are then not this organisation's directory's to change."""
    return Membership.objects.filter(user=member.user_id).exclude(org=member.org_id).exists()


def _save_account(member: Membership, values: UserValues) -> dict[str, list[Any]]:
    account = member.user
    wanted = {
        "email": values.email,
        "first_name": values.first_name,
        "last_name": values.last_name,
    }
    changes = {
        field: [getattr(account, field), new]
        for field, new in wanted.items()
        if getattr(account, field) != new
    }
    if not changes:
        return {}
    if _shared(member):
        raise MutabilityException(
            detail="This person's account also belongs to another organisation: "
            "its name and e-mail address cannot be changed from this one."
        )
    if (
        "email" in changes
        and get_user_model().objects.filter(email=values.email).exclude(pk=account.pk).exists()
    ):
        raise UniquenessException(detail=f"Another account has the address {values.email}.")
    for field in changes:
        setattr(account, field, wanted[field])
    account.save(update_fields=list(changes))
    return changes


def _replace(client: Provisioner, member: Membership, values: UserValues) -> Membership:
    changes: dict[str, list[Any]] = dict(_save_account(member, values))
    scim, _created = ScimUser.objects.get_or_create(membership=member)
    stored = {
        "user_name": values.user_name,
        "external_id": values.external_id,
        "emails": values.emails,
    }
    for field, new in stored.items():
        if getattr(scim, field) != new:
            if field != "emails":
                changes[field] = [getattr(scim, field), new]
            setattr(scim, field, new)
    scim.save()  # always: updated_at is the resource's lastModified
    member.scim = scim  # type: ignore[attr-defined]
    if changes:
        audit(member.org, client, "scim.user.change", member, changes)
    if values.active and not member.is_active:
        _reactivate(client, member)
    elif not values.active and member.is_active:
        _deactivate(client, member, deleting=False)
    return member


@transaction.atomic
def do_delete_user(client: Provisioner, member: Membership) -> None:
    """DELETE: deactivate, and the resource is gone for SCIM (404) until created again."""
    member = Membership.objects.select_for_update().select_related("user", "org").get(pk=member.pk)
    if member.is_active:
        _deactivate(client, member, deleting=True)
    scim, _created = ScimUser.objects.get_or_create(membership=member)
    scim.deleted_at = timezone.now()
    scim.save(update_fields=["deleted_at", "updated_at"])
    audit(member.org, client, "scim.user.delete", member)


def _deactivate(client: Provisioner, member: Membership, *, deleting: bool) -> None:
    try:
        check_keeps_an_admin(member, member.role, False)
    except ValidationError as error:
        raise MutabilityException(detail=" ".join(error.messages)) from None
    org = member.org
    user = member.user
    now = timezone.now()
    member.is_active = False
    member.save(update_fields=["is_active"])
    tokens = Token.objects.filter(org=org, user=user, revoked_at__isnull=True).update(
        revoked_at=now
    )
    invitations = (
        Invitation.objects.pending().filter(org=org, membership=member).update(revoked_at=now)
    )
    programme = "none"
    participation = Participation.objects.filter(membership=member).first()
    if participation is not None and participation.status == Participation.Status.ACTIVE:
        anonymise = settings_of(org).on_deactivation == ScimSettings.Departure.ANONYMISE
        do_leave(member, anonymise=anonymise, actor=client)
        programme = "left, anonymised" if anonymise else "left"
    elif participation is not None and participation.status == Participation.Status.INVITED:
        # The invitation to join is withdrawn: a reactivated person is invited again.
        participation.delete()
        programme = "invitation withdrawn"
    account = "kept"
    still_elsewhere = Membership.objects.active().filter(user=user).exclude(pk=member.pk)
    if user.is_active and not still_elsewhere.exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ScimUser.objects.update_or_create(membership=member, defaults={"disabled_account": True})
        account = "switched off"
    sessions = delete_sessions(user)
    audit(
        org,
        client,
        "scim.user.deactivate",
        member,
        {
            "active": [True, False],
            "deleted": [None, deleting],
            "sessions_ended": [None, sessions],
            "api_tokens_revoked": [None, tokens],
            "invitations_revoked": [None, invitations],
            "programme": [None, programme],
            "account": [None, account],
        },
    )


def _reactivate(client: Provisioner, member: Membership) -> None:
    member.is_active = True
    member.save(update_fields=["is_active"])
    account = "kept"
    scim = ScimUser.objects.filter(membership=member).first()
    if scim is not None and scim.disabled_account:
        user = member.user
        user.is_active = True
        user.save(update_fields=["is_active"])
        scim.disabled_account = False
        scim.save(update_fields=["disabled_account", "updated_at"])
        account = "switched on"
    audit(
        member.org,
        client,
        "scim.user.reactivate",
        member,
        {"active": [False, True], "account": [None, account]},
    )


# --- Groups --------------------------------------------------------------------------------


@dataclass
class GroupValues:
    name: str
    external_id: str
    member_ids: list[int]


def read_group(org: Organization, resource: Group) -> GroupValues:
    name = _text(resource.display_name, "displayName", 120)
    if not name:
        raise InvalidValueException(detail="displayName is required.")
    wanted: list[int] = []
    for entry in resource.members or []:
        value = (entry.value or "").strip()
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise InvalidValueException(detail=f"members: {value!r} is not a User of this service.")
        if int(value) not in wanted:
            wanted.append(int(value))
    found = set(
        all_people(org)
        .exclude(scim__deleted_at__isnull=False)
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise InvalidValueException(detail=f"members: no User {', '.join(missing)} here.")
    return GroupValues(
        name=name,
        external_id=_text(resource.external_id, "externalId", TEXT_MAX),
        member_ids=wanted,
    )


def _check_name(org: Organization, name: str, team: Team | None) -> None:
    taken = Team.objects.filter(org=org, name__iexact=name)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise UniquenessException(detail=f"displayName {name!r} is already taken.")


@transaction.atomic
def do_create_group(client: Provisioner, values: GroupValues) -> Team:
    org = client.token.org
    Organization.objects.select_for_update().filter(pk=org.pk).first()
    _check_name(org, values.name, None)
    team = Team.objects.create(org=org, name=values.name)
    ScimGroup.objects.create(team=team, external_id=values.external_id)
    audit(org, client, "team.create", team, {"name": [None, values.name]})
    _set_members(client, team, values.member_ids)
    return team


@transaction.atomic
def do_replace_group(client: Provisioner, team: Team, values: GroupValues) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    _check_name(team.org, values.name, team)
    if team.name != values.name:
        audit(team.org, client, "team.change", team, {"name": [team.name, values.name]})
        team.name = values.name
        team.save(update_fields=["name"])
    scim, _created = ScimGroup.objects.get_or_create(team=team)
    scim.external_id = values.external_id
    scim.save()
    _set_members(client, team, values.member_ids)
    return team


def _set_members(client: Provisioner, team: Team, wanted: list[int]) -> None:
    """The team's members become `wanted` (people a DELETE removed are left alone)."""
    current = set(
        Membership.objects.filter(team=team)
        .exclude(scim__deleted_at__isnull=False)
        .values_list("pk", flat=True)
    )
    leaving = current - set(wanted)
    joining = [pk for pk in wanted if pk not in current]
    for member in Membership.objects.filter(pk__in=leaving | set(joining)).select_related(
        "team", "user"
    ):
        before = member.team.name if member.team else None
        member.team = team if member.pk in joining else None
        member.save(update_fields=["team"])
        audit(
            team.org,
            client,
            "member.change",
            member,
            {"team": [before, member.team.name if member.team else None]},
        )
    if leaving:
        Team.objects.filter(pk=team.pk, manager__in=leaving).update(manager=None)


@transaction.atomic
def do_delete_group(client: Provisioner, team: Team) -> None:
    """Delete the team; its members stay in the organisation without a team."""
    audit(team.org, client, "team.delete", team, {"name": [team.name, None]})
    team.delete()
