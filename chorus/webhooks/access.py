"""Permission-checked getters for webhooks: org admins only; outsiders get 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from chorus.orgs.access import require_role
from chorus.orgs.models import Membership, Role
from chorus.webhooks.models import Endpoint, Message


def get_endpoint(membership: Membership, endpoint_id: int) -> Endpoint:
    """One of the organisation's endpoints."""
    endpoint = get_object_or_404(Endpoint, org=membership.org, pk=endpoint_id)
    require_role(membership, Role.ORG_ADMIN)
    return endpoint


def get_message(membership: Membership, endpoint: Endpoint, message_id: int) -> Message:
    """One message of an endpoint got through `get_endpoint`."""
    require_role(membership, Role.ORG_ADMIN)
    return get_object_or_404(Message, endpoint=endpoint, org=membership.org, pk=message_id)
