"""API of the chat tools: the organisation's channels and connected workspaces (org admins
only), a test message (queued: the worker sends it), and a person's choice of how to get
their digest. Input goes through the pages' forms; secrets (a workspace's bot token, a
channel's or a person's webhook URL) are never in an answer."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from chorus.api.common import ErrorOut, Id, Invalid, InvalidOut, membership_of, require, validated
from chorus.chat import actions
from chorus.chat.access import get_channel, get_tool
from chorus.chat.announcements import test_announcement
from chorus.chat.digests import can_carry
from chorus.chat.forms import DigestChannelForm, PickChannelsForm, UrlChannelForm
from chorus.chat.models import ChatChannel, ChatPreference, ChatWorkspace
from chorus.integrations import registry
from chorus.integrations.base import PublishError
from chorus.integrations.capabilities import ChatTool
from chorus.orgs.models import Membership, Role

router = Router(tags=["chat"])


class ChannelOut(Schema):
    id: int
    tool: str
    name: str
    external_id: str = Field(..., description="The tool's channel id (Slack); empty for Teams.")
    announce_content: bool
    announce_campaigns: bool
    created_at: datetime


class WorkspaceOut(Schema):
    tool: str
    name: str
    connected_at: datetime
    refused_since: datetime | None = Field(
        ..., description="The tool refused the token since then: connect again (signed in)."
    )


class AvailableChannelOut(Schema):
    id: str
    name: str


class UrlChannelIn(Schema):
    name: str
    url: str = Field(..., description="The channel's webhook or Workflows URL (a secret).")
    announce_content: bool = True
    announce_campaigns: bool = True


class PickChannelsIn(Schema):
    channels: list[str] = Field(..., description="Ids from GET /chat/{tool}/channels/available.")
    announce_content: bool = True
    announce_campaigns: bool = True


class TestMessageOut(Schema):
    id: int
    kind: str
    status: str
    next_attempt_at: datetime


class DigestChannelOut(Schema):
    via: str = Field(..., description='The chat tool the digest goes by; "" for e-mail.')
    has_url: bool = Field(..., description="A personal URL is saved (it is never shown).")
    choices: list[str] = Field(..., description="The chat tools that can carry it here.")


class DigestChannelIn(Schema):
    via: str = Field(..., description='A chat tool from `choices`, or "" for e-mail.')
    url: str = Field("", description="Your own Workflows URL (Teams); empty keeps the saved one.")


def _form_data(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A payload as a browser would post it: unchecked boxes are left out."""
    return {
        f"{prefix}{name}": value
        for name, value in values.items()
        if value is not False and value is not None
    }


def _connected(membership: Membership, tool: ChatTool) -> ChatWorkspace:
    if tool.connect is None:
        raise HttpError(404, _("This tool is not connected by OAuth."))
    workspace = ChatWorkspace.objects.filter(org=membership.org, tool=tool.key).first()
    if workspace is None:
        raise HttpError(404, _("Connect the workspace first."))
    return workspace


def _choices(tool: ChatTool, workspace: ChatWorkspace) -> list[tuple[str, str]]:
    """The workspace's channels not picked yet (502 if the tool cannot list them)."""
    if tool.connect is None:
        return []
    try:
        choices = tool.connect.channels(workspace.credentials)
    except PublishError as error:
        raise HttpError(
            502, _("The channels could not be listed: %(reason)s") % {"reason": error.code}
        ) from error
    taken = set(
        ChatChannel.objects.filter(workspace=workspace).values_list("external_id", flat=True)
    )
    return [choice for choice in choices if choice[0] not in taken]


@router.get(
    "/chat/channels",
    response={200: list[ChannelOut], 403: ErrorOut},
    summary="Where the organisation's announcements go (org admins)",
)
def list_channels(request: HttpRequest) -> Any:
    return ChatChannel.objects.filter(org=require(request, Role.ORG_ADMIN).org)


@router.get(
    "/chat/workspaces",
    response={200: list[WorkspaceOut], 403: ErrorOut},
    summary="The connected chat workspaces (org admins)",
)
def list_workspaces(request: HttpRequest) -> Any:
    return ChatWorkspace.objects.filter(org=require(request, Role.ORG_ADMIN).org).order_by("tool")


@router.delete(
    "/chat/{tool}/workspace",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Disconnect the tool's workspace; its channels go with it (org admins)",
)
def disconnect_workspace(request: HttpRequest, tool: str) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    actions.do_disconnect_workspace(membership, _connected(membership, get_tool(tool)))
    return Status(204, None)


@router.get(
    "/chat/{tool}/channels/available",
    response={200: list[AvailableChannelOut], 403: ErrorOut, 404: ErrorOut, 502: ErrorOut},
    summary="The connected workspace's channels not picked yet (org admins)",
)
def available_channels(request: HttpRequest, tool: str) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    found = get_tool(tool)
    choices = _choices(found, _connected(membership, found))
    return [{"id": channel_id, "name": name} for channel_id, name in choices]


@router.post(
    "/chat/{tool}/channels/pick",
    response={201: list[ChannelOut], 400: InvalidOut, 403: ErrorOut, 404: ErrorOut, 502: ErrorOut},
    summary="Announce in channels of the connected workspace (org admins)",
)
def pick_channels(request: HttpRequest, tool: str, payload: PickChannelsIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    found = get_tool(tool)
    workspace = _connected(membership, found)
    choices = _choices(found, workspace)
    data = validated(PickChannelsForm(_form_data(payload.dict()), choices=choices))
    names = dict(choices)
    return Status(
        201,
        [
            actions.do_add_channel(
                membership,
                tool,
                name=f"#{names[channel_id]}",
                target={"channel": channel_id},
                workspace=workspace,
                external_id=channel_id,
                announce_content=data["announce_content"],
                announce_campaigns=data["announce_campaigns"],
            )
            for channel_id in data["channels"]
        ],
    )


@router.post(
    "/chat/{tool}/channels",
    response={201: ChannelOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add a channel reached by its webhook URL, e.g. Teams (org admins)",
)
def add_channel(request: HttpRequest, tool: str, payload: UrlChannelIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    found = get_tool(tool)
    if found.channel_url_check is None:
        raise HttpError(404, _("Channels of this tool are picked from its workspace."))
    data = validated(UrlChannelForm(_form_data(payload.dict()), tool=found))
    channel = actions.do_add_channel(
        membership,
        tool,
        name=data["name"],
        target={"url": data["url"]},
        announce_content=data["announce_content"],
        announce_campaigns=data["announce_campaigns"],
    )
    return Status(201, channel)


@router.delete(
    "/chat/channels/{channel_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Stop announcing in a channel (org admins)",
)
def remove_channel(request: HttpRequest, channel_id: Id) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    actions.do_remove_channel(membership, get_channel(membership, channel_id))
    return Status(204, None)


@router.post(
    "/chat/channels/{channel_id}/test",
    response={202: TestMessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Queue a test message to a channel; the worker sends it within a minute",
)
def send_test(request: HttpRequest, channel_id: Id) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    channel = get_channel(membership, channel_id)
    message = actions.do_send_test(membership, channel, test_announcement(membership.org))
    if message is None:  # the same channel's test, queued in the same instant
        raise HttpError(409, _("A test message is already on its way."))
    return Status(202, message)


def _digest_choice(membership: Membership) -> tuple[ChatPreference | None, list[ChatTool]]:
    preference = ChatPreference.objects.filter(membership=membership).first()
    tools = [tool for tool in registry.chat_tools() if can_carry(membership, tool.key)]
    return preference, tools


def _digest_out(membership: Membership) -> dict[str, Any]:
    preference, tools = _digest_choice(membership)
    return {
        "via": preference.digest_tool if preference else "",
        "has_url": bool(preference and preference.target.get("url")),
        "choices": [tool.key for tool in tools],
    }


@router.get(
    "/me/digest-channel",
    response=DigestChannelOut,
    tags=["me"],
    summary="How I get my digest: by e-mail or in a chat tool",
)
def get_digest_channel(request: HttpRequest) -> Any:
    return _digest_out(membership_of(request))


@router.put(
    "/me/digest-channel",
    response={200: DigestChannelOut, 400: InvalidOut},
    tags=["me"],
    summary="Choose how I get my digest",
)
def put_digest_channel(request: HttpRequest, payload: DigestChannelIn) -> Any:
    membership = membership_of(request)
    preference, tools = _digest_choice(membership)
    has_url = bool(preference and preference.target.get("url"))
    data = validated(DigestChannelForm(payload.dict(), tools=tools, has_url=has_url))
    via = data["via"]
    target: dict[str, str] = {}
    if via and registry.chat_tool(via).personal_url:
        kept = (
            preference.target.get("url", "") if preference and preference.digest_tool == via else ""
        )
        target = {"url": data.get("url") or kept}
        if not target["url"]:
            raise Invalid({"url": [_("Give the URL your digest is posted to.")]})
    actions.do_set_digest_channel(membership, via, target)
    return _digest_out(membership)
