"""Permission-checked getters for chat tools: organisation admins only; outsiders get 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from chorus.chat.models import ChatChannel
from chorus.integrations import registry
from chorus.integrations.capabilities import ChatTool
from chorus.orgs.access import require_role
from chorus.orgs.models import Membership, Role


def get_tool(key: str) -> ChatTool:
    """A known chat tool, or 404."""
    tool = registry.find_chat_tool(key)
    if tool is None:
        raise Http404
    return tool


def get_channel(membership: Membership, channel_id: int) -> ChatChannel:
    channel = get_object_or_404(ChatChannel, org=membership.org, pk=channel_id)
    require_role(membership, Role.ORG_ADMIN)
    return channel
