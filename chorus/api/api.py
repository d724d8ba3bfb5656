"""The public JSON API at /api/v1/, documented by the OpenAPI file ninja generates from it."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from chorus.api.common import ChorusAPI, ErrorOut, Id, membership_of, require
from chorus.api.tokens import authenticate_token
from chorus.orgs import access
from chorus.orgs.models import Membership, Role, Team


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


# The apps' routers, in the order of the OpenAPI document. Named, not imported: each app's
# `api` module builds on chorus.api.common, so the apps sit above this layer and the API
# reaches their routers by name, as Django's admin reaches each app's admin.py
# (docs/architecture.md).
ROUTERS = (
    "chorus.content.api",
    "chorus.links.api",
    "chorus.sharing.api",
    "chorus.sharing.governance_api",
    "chorus.feed.api",
    "chorus.webhooks.api",
)

for _module in ROUTERS:
    api.add_router("", import_module(_module).router)
