"""Org-scoped, permission-checked access: the only way views reach organisation data.

An outsider (not an active member of the organisation) gets 404, as if nothing were
there; a member whose role is too low gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from chorus.orgs.models import Invitation, Membership, Role, Team

View = Callable[..., HttpResponse]


def get_membership(user: Any, org_slug: str) -> Membership:
    """Return the person's active membership in the organisation, or raise 404."""
    if not user.is_authenticated:
        raise Http404
    try:
        return (
            Membership.objects.active()
            .select_related("org", "team", "user")
            .get(org__slug=org_slug, user=user)
        )
    except Membership.DoesNotExist:
        raise Http404 from None


def require_role(membership: Membership, role: str | None) -> None:
    """Raise 403 unless the member has `role` or a role above it."""
    if role is not None and not membership.has_role(role):
        raise PermissionDenied


def org_view(role: str | None = None) -> Callable[[View], View]:
    """Decorate a view taking `org` (a slug): set request.membership and check the role."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = get_membership(request.user, org)
            require_role(membership, role)
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, membership, *args, **kwargs)

        return wrapped

    return decorator


def get_team(membership: Membership, team_id: int, *, manage: bool = False) -> Team:
    """A team of the member's organisation; managing it needs program manager or above."""
    team = get_object_or_404(
        Team.objects.select_related("manager__user"), org=membership.org, pk=team_id
    )
    if manage:
        require_role(membership, Role.PROGRAM_MANAGER)
    elif not membership.has_role(Role.PROGRAM_MANAGER) and not (
        membership.role == Role.TEAM_MANAGER and team.manager_id == membership.pk
    ):
        raise PermissionDenied
    return team


def get_member(membership: Membership, membership_id: int, *, manage: bool = False) -> Membership:
    """A member of the same organisation; managing members needs the org admin role."""
    member = get_object_or_404(
        Membership.objects.select_related("user", "team"), org=membership.org, pk=membership_id
    )
    require_role(membership, Role.ORG_ADMIN if manage else Role.PROGRAM_MANAGER)
    return member


def may_manage_invitation(membership: Membership, invitation: Invitation) -> bool:
    """Org admins resend and revoke every invitation; program managers those to the
    programme of ambassadors, as they may invite them."""
    if membership.org_id != invitation.org_id:
        return False
    if membership.is_org_admin:
        return True
    return (
        membership.can_manage_programme
        and invitation.programme
        and invitation.role == Role.AMBASSADOR
    )


def get_invitation(membership: Membership, invitation_id: int) -> Invitation:
    """An invitation of the member's organisation that they may resend or revoke."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("org", "team", "membership__user"),
        org=membership.org,
        pk=invitation_id,
    )
    if not may_manage_invitation(membership, invitation):
        raise PermissionDenied
    return invitation
