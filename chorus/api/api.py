"""The public JSON API at /api/v1/, documented by the OpenAPI file ninja generates from it."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.security import HttpBearer
from pydantic import StrictBool

from chorus.api.common import (
    ChorusAPI,
    ErrorOut,
    Id,
    InvalidOut,
    Pages,
    membership_of,
    require,
    validated,
)
from chorus.api.tokens import authenticate_token
from chorus.orgs import access, actions, invitations
from chorus.orgs.forms import AddMemberForm, ChangeMemberForm, TeamForm
from chorus.orgs.models import Invitation, Membership, Role, Team
from chorus.orgs.setup import do_change_organization
from chorus.orgs.setup_forms import OrganisationSettingsForm


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`: a personal access token, scoped to one organisation."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        found = authenticate_token(token)
        if found is None:
            return None
        request.membership = found[1]  # type: ignore[attr-defined]
        return found[1]


api = ChorusAPI(
    title="Chorus API",
    version="1",
    description="Employee advocacy: organisations, people and (later) content, shares and links.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
)


class OrganizationOut(Schema):
    slug: str
    name: str
    default_language: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    language: str
    role: str
    team_id: int | None
    organization: OrganizationOut


class TeamOut(Schema):
    id: int
    name: str
    manager_id: int | None


class MemberOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    role: str
    team_id: int | None
    is_active: bool
    joined_at: datetime


def _member_out(member: Membership) -> MemberOut:
    return MemberOut(
        id=member.pk,
        email=member.user.email,
        first_name=member.user.first_name,
        last_name=member.user.last_name,
        role=member.role,
        team_id=member.team_id,
        is_active=member.is_active,
        joined_at=member.joined_at,
    )


@api.get("/me", response=MeOut, tags=["people"], summary="The token's owner and organisation")
def me(request: HttpRequest) -> MeOut:
    membership = membership_of(request)
    user = membership.user
    return MeOut(
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language,
        role=membership.role,
        team_id=membership.team_id,
        organization=OrganizationOut(
            slug=membership.org.slug,
            name=membership.org.name,
            default_language=membership.org.default_language,
        ),
    )


@api.get(
    "/teams",
    response={200: list[TeamOut], 403: ErrorOut},
    tags=["people"],
    summary="Teams of the organisation (team managers and above)",
)
def list_teams(request: HttpRequest) -> list[Team]:
    membership = require(request, Role.TEAM_MANAGER)
    teams = Team.objects.filter(org=membership.org)
    if not membership.can_manage_programme:
        teams = teams.filter(manager=membership)
    return list(teams)


@api.get(
    "/teams/{team_id}",
    response={200: TeamOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="One team",
)
def get_team(request: HttpRequest, team_id: Id) -> Team:
    membership = require(request, Role.TEAM_MANAGER)
    team = get_object_or_404(Team, org=membership.org, pk=team_id)
    if not membership.can_manage_programme and team.manager_id != membership.pk:
        raise HttpError(403, "Your role does not allow this.")
    return team


@api.get(
    "/members",
    response={200: list[MemberOut], 403: ErrorOut},
    tags=["people"],
    summary="Members of the organisation (program managers and admins)",
)
def list_members(request: HttpRequest) -> list[MemberOut]:
    membership = require(request, Role.PROGRAM_MANAGER)
    members = Membership.objects.filter(org=membership.org).select_related("user")
    return [_member_out(member) for member in members]


@api.get(
    "/members/{membership_id}",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="One member",
)
def get_member(request: HttpRequest, membership_id: Id) -> MemberOut:
    return _member_out(access.get_member(membership_of(request), membership_id))


# --- Changing the organisation, its members and teams (the pages' forms and actions) -----


class OrganizationPatch(Schema):
    name: str | None = None
    default_language: str | None = Field(None, examples=["fr"])
    time_zone: str | None = Field(None, examples=["Europe/Paris"])
    accent_color: str | None = Field(None, description="#rrggbb, or empty for none.")


@api.patch(
    "/organization",
    response={200: OrganizationOut, 400: InvalidOut, 403: ErrorOut},
    tags=["people"],
    summary="Change the organisation's name, language, time zone, colour (org admins)",
)
def patch_organization(request: HttpRequest, payload: OrganizationPatch) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    org = membership.org
    current = {
        "name": org.name,
        "accent_color": org.accent_color,
        "default_language": org.default_language,
        "time_zone": org.time_zone,
    }
    data = validated(
        OrganisationSettingsForm({**current, **payload.dict(exclude_unset=True)}, has_logo=False)
    )
    do_change_organization(
        membership,
        name=data["name"],
        default_language=data["default_language"],
        time_zone=data["time_zone"],
        accent_color=data["accent_color"],
    )
    org.refresh_from_db()
    return OrganizationOut(slug=org.slug, name=org.name, default_language=org.default_language)


class MemberIn(Schema):
    email: str = Field(..., examples=["ada@example.com"])
    first_name: str = ""
    last_name: str = ""
    role: Role = Role.AMBASSADOR
    team: Id | None = None


class MemberPatch(Schema):
    role: Role | None = None
    team: Id | None = Field(None, description="A team id; null: no team.")
    is_active: StrictBool | None = None


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    team_id: int | None
    programme: bool
    state: str
    expires_at: datetime
    created_at: datetime

    @staticmethod
    def resolve_state(obj: Invitation) -> str:
        return str(obj.state())


@api.post(
    "/members",
    response={201: InvitationOut, 400: InvalidOut, 403: ErrorOut},
    tags=["people"],
    summary="Add a person and e-mail them an invitation (org admins)",
)
def add_member(request: HttpRequest, payload: MemberIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    data = validated(
        AddMemberForm({**payload.dict(), "team": payload.team or ""}, org=membership.org)
    )
    invitation, _url = invitations.do_invite_member(
        membership,
        data["email"],
        data["role"],
        data["team"],
        request=request,
        first_name=data["first_name"],
        last_name=data["last_name"],
    )
    return Status(201, invitation)


@api.patch(
    "/members/{membership_id}",
    response={200: MemberOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Change a member's role, team or active state (org admins)",
)
def change_member(request: HttpRequest, membership_id: Id, payload: MemberPatch) -> Any:
    membership = membership_of(request)
    member = access.get_member(membership, membership_id, manage=True)
    values: dict[str, Any] = {
        "role": member.role,
        "team": member.team_id or "",
        "is_active": member.is_active,
    }
    changes = payload.dict(exclude_unset=True)
    if "team" in changes:
        changes["team"] = changes["team"] or ""
    data = validated(ChangeMemberForm({**values, **changes}, org=membership.org))
    actions.do_change_member(
        membership, member, role=data["role"], team=data["team"], is_active=data["is_active"]
    )
    return _member_out(access.get_member(membership, membership_id))


@api.delete(
    "/members/{membership_id}",
    response={204: None, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Remove a person from the organisation; their account stays (org admins)",
)
def remove_member(request: HttpRequest, membership_id: Id) -> Any:
    membership = membership_of(request)
    actions.do_remove_member(membership, access.get_member(membership, membership_id, manage=True))
    return Status(204, None)


@api.get(
    "/invitations",
    response={200: list[InvitationOut], 403: ErrorOut},
    tags=["people"],
    summary="Pending invitations, newest first (program managers and admins)",
)
@paginate(Pages)
def list_invitations(request: HttpRequest) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    return Invitation.objects.pending().filter(org=membership.org).order_by("-id")


@api.post(
    "/invitations/{invitation_id}/resend",
    response={200: InvitationOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Send a new invitation link; the previous one stops working",
)
def resend_invitation(request: HttpRequest, invitation_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    invitation = access.get_invitation(membership, invitation_id)
    fresh, _url = invitations.do_resend_invitation(membership, invitation, request=request)
    return fresh


@api.post(
    "/invitations/{invitation_id}/revoke",
    response={200: InvitationOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Revoke an invitation: its link stops working",
)
def revoke_invitation(request: HttpRequest, invitation_id: Id) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    invitation = access.get_invitation(membership, invitation_id)
    invitations.do_revoke_invitation(membership, invitation)
    return Invitation.objects.get(pk=invitation.pk)


class TeamIn(Schema):
    name: str = Field(..., examples=["Sales West"])
    manager: Id | None = Field(None, description="A member id (not an ambassador).")


class TeamPatch(Schema):
    name: str | None = None
    manager: Id | None = Field(None, description="A member id; null: no manager.")


@api.post(
    "/teams",
    response={201: TeamOut, 400: InvalidOut, 403: ErrorOut},
    tags=["people"],
    summary="Create a team (program managers and admins)",
)
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    membership = require(request, Role.PROGRAM_MANAGER)
    data = validated(
        TeamForm({"name": payload.name, "manager": payload.manager or ""}, org=membership.org)
    )
    return Status(
        201, actions.do_save_team(membership, None, name=data["name"], manager=data["manager"])
    )


@api.patch(
    "/teams/{team_id}",
    response={200: TeamOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Rename a team or change its manager (program managers and admins)",
)
def change_team(request: HttpRequest, team_id: Id, payload: TeamPatch) -> Any:
    membership = membership_of(request)
    team = access.get_team(membership, team_id, manage=True)
    values: dict[str, Any] = {"name": team.name, "manager": team.manager_id or ""}
    changes = payload.dict(exclude_unset=True)
    if "manager" in changes:
        changes["manager"] = changes["manager"] or ""
    data = validated(TeamForm({**values, **changes}, org=membership.org, team=team))
    return actions.do_save_team(membership, team, name=data["name"], manager=data["manager"])


@api.delete(
    "/teams/{team_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["people"],
    summary="Delete a team; its members stay without a team (program managers and admins)",
)
def delete_team(request: HttpRequest, team_id: Id) -> Any:
    membership = membership_of(request)
    actions.do_delete_team(membership, access.get_team(membership, team_id, manage=True))
    return Status(204, None)


# The apps' routers, in the order of the OpenAPI document. Named, not imported: each app's
# `api` module builds on chorus.api.common, so the apps sit above this layer and the API
# reaches their routers by name, as Django's admin reaches each app's admin.py
# (docs/architecture.md).
ROUTERS = (
    "chorus.accounts.api",
    "chorus.content.api",
    "chorus.links.api",
    "chorus.program.api",
    "chorus.sharing.api",
    "chorus.sharing.governance_api",
    "chorus.feed.api",
    "chorus.notify.api",
    "chorus.analytics.api",
    "chorus.engage.api",
    "chorus.coaching.api",
    "chorus.webhooks.api",
)

for _module in ROUTERS:
    api.add_router("", import_module(_module).router)
