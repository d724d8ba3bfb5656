"""The organisation's people and teams as SCIM sees them: the only way SCIM views reach them.

Every lookup is scoped to the organisation of the token; an id of another organisation is
404 as if nothing were there (RFC 7644 §3.12 gives 404 for an unknown resource).
"""

from __future__ import annotations

from django.db.models import CharField, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from scim2_models import NotFoundException

from chorus.orgs.models import Membership, Organization, Team


def all_people(org: Organization) -> QuerySet[Membership]:
    """Every member, those a DELETE removed from SCIM included, with `scim_user_name`:
    the userName the directory gave them, else their e-mail address."""
    return (
        Membership.objects.filter(org=org)
        .select_related("user", "scim", "team")
        .annotate(
            scim_user_name=Coalesce(
                NullIf("scim__user_name", Value("")), "user__email", output_field=CharField()
            ),
        )
        .order_by("pk")
    )


def users_of(org: Organization) -> QuerySet[Membership]:
    """The members SCIM lists: all but those it deleted."""
    return all_people(org).exclude(scim__deleted_at__isnull=False)


def teams_of(org: Organization) -> QuerySet[Team]:
    return (
        Team.objects.filter(org=org)
        .select_related("scim")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Membership.objects.exclude(scim__deleted_at__isnull=False)
                .select_related("user")
                .order_by("pk"),
            )
        )
        .order_by("pk")
    )


def _pk(resource_id: str) -> int:
    if not resource_id.isascii() or not resource_id.isdigit() or len(resource_id) > 18:
        raise NotFoundException(detail=f"Resource {resource_id} not found")
    return int(resource_id)


def get_user(org: Organization, resource_id: str) -> Membership:
    member = users_of(org).filter(pk=_pk(resource_id)).first()
    if member is None:
        raise NotFoundException(detail=f"Resource {resource_id} not found")
    return member


def get_group(org: Organization, resource_id: str) -> Team:
    team = teams_of(org).filter(pk=_pk(resource_id)).first()
    if team is None:
        raise NotFoundException(detail=f"Resource {resource_id} not found")
    return team
