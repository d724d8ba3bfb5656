"""Who sees which engagement task: the org's open tasks, to programme members who
connected the task's network or follow it in their ambassador profile."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from chorus.orgs.access import require_role
from chorus.orgs.models import Membership, Role
from chorus.program.models import is_participant
from chorus.sharing.models import Connection, EngagementTask


def connected_networks(membership: Membership) -> set[str]:
    return set(
        Connection.objects.filter(
            membership=membership, status=Connection.Status.ACTIVE
        ).values_list("network", flat=True)
    )


def open_tasks(membership: Membership, followed: Collection[str] = ()) -> QuerySet[EngagementTask]:
    """The open tasks a person is offered: on networks they connected or follow
    (`followed`, from their ambassador profile), not done yet; none outside the programme."""
    if not is_participant(membership):
        return EngagementTask.objects.none()
    networks = connected_networks(membership) | set(followed)
    return (
        EngagementTask.objects.filter(org=membership.org, is_open=True, network__in=networks)
        .exclude(engagements__membership=membership)
        .order_by("-created_at", "-id")
    )


def get_task(membership: Membership, task_id: int, *, manage: bool = False) -> EngagementTask:
    """A task of the member's organisation (404 otherwise); managing it needs PM."""
    task = get_object_or_404(EngagementTask, org=membership.org, pk=task_id)
    if manage:
        require_role(membership, Role.PROGRAM_MANAGER)
    return task
