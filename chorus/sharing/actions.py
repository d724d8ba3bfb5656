"""Sharing actions: connecting and disconnecting networks, creating, scheduling and
cancelling shares. Views and the API call these; they never touch the models directly."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from chorus.orgs.actions import audit
from chorus.orgs.models import Membership
from chorus.sharing.models import Connection, Share

logger = logging.getLogger(__name__)


def has_connection(membership: Membership) -> bool:
    """The onboarding step "a network connected"."""
    return Connection.objects.filter(
        membership=membership, status=Connection.Status.ACTIVE
    ).exists()


def has_shared(membership: Membership) -> bool:
    """The onboarding step "first share"."""
    return Share.objects.filter(membership=membership, status=Share.Status.PUBLISHED).exists()


def revoke_remote(connection: Connection) -> None:
    """Ask the network to revoke the token, where it allows it; never fails the caller."""
    from chorus.sharing.publishing import client_for

    client = client_for(connection.network)
    if client is None:
        return
    try:
        client.revoke(connection.credentials)
    except Exception:  # a network that is down must not keep the token alive here
        logger.warning("revoking %s failed", connection.pk, exc_info=True)


@transaction.atomic
def do_disconnect(actor: Membership, connection: Connection) -> None:
    """Revoke and forget the tokens; pending API shares through it wait for a new one."""
    credentials_holder = Connection(network=connection.network, credentials=connection.credentials)
    connection.status = Connection.Status.REVOKED
    connection.credentials = {}
    connection.save(update_fields=["status", "credentials", "updated_at"])
    audit(connection.org, actor.user, "connection.disconnect", connection)
    transaction.on_commit(lambda: revoke_remote(credentials_holder))


@transaction.atomic
def on_participant_left(membership: Membership, *, anonymise: bool) -> None:
    """Scheduled shares cancelled, connections removed, attribution as chosen."""
    Share.objects.filter(
        membership=membership, status__in=[*Share.PENDING, Share.Status.DRAFT]
    ).update(status=Share.Status.CANCELLED, updated_at=timezone.now())
    for connection in Connection.objects.filter(membership=membership).exclude(
        status=Connection.Status.REVOKED
    ):
        do_disconnect(membership, connection)
    if anonymise:
        Share.objects.filter(membership=membership).update(membership=None)
