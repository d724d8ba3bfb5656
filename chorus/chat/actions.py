"""Changes to an organisation's chat tools and to a person's digest preference: one
transaction each, audited, messages queued with the change."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from chorus.chat.announcements import queue
from chorus.chat.models import ChatChannel, ChatMessage, ChatPreference, ChatWorkspace
from chorus.integrations.capabilities import Announcement, Click, Workspace
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


@transaction.atomic
def do_connect_workspace(actor: Membership, tool: str, workspace: Workspace) -> ChatWorkspace:
    """Keep the workspace's bot token (encrypted); connecting again replaces it, and a
    different workspace drops the channels of the former one."""
    found = ChatWorkspace.objects.select_for_update().filter(org=actor.org, tool=tool).first()
    if found is not None and found.external_id != workspace.id:
        found.delete()
        found = None
    if found is None:
        found = ChatWorkspace(org=actor.org, tool=tool, external_id=workspace.id)
    found.name = workspace.name[:200]
    found.credentials = workspace.credentials
    found.connected_by = actor
    found.refused_since = None
    found.save()
    audit(actor.org, actor.user, "chat.connect", found, {"workspace": [None, workspace.name]})
    return found


@transaction.atomic
def do_disconnect_workspace(actor: Membership, workspace: ChatWorkspace) -> None:
    audit(
        actor.org, actor.user, "chat.disconnect", workspace, {"workspace": [workspace.name, None]}
    )
    workspace.delete()


@transaction.atomic
def do_add_channel(
    actor: Membership,
    tool: str,
    *,
    name: str,
    target: dict[str, Any],
    workspace: ChatWorkspace | None = None,
    external_id: str = "",
    announce_content: bool = True,
    announce_campaigns: bool = True,
) -> ChatChannel:
    channel = ChatChannel.objects.create(
        org=actor.org,
        tool=tool,
        workspace=workspace,
        name=name[:200],
        target=target,  # type: ignore[misc]  # an EncryptedJSONField
        external_id=external_id,
        announce_content=announce_content,
        announce_campaigns=announce_campaigns,
    )
    audit(actor.org, actor.user, "chat.channel.add", channel, {"channel": [None, channel.name]})
    return channel


@transaction.atomic
def do_remove_channel(actor: Membership, channel: ChatChannel) -> None:
    audit(actor.org, actor.user, "chat.channel.remove", channel, {"channel": [channel.name, None]})
    channel.delete()


@transaction.atomic
def do_send_test(
    actor: Membership, channel: ChatChannel, announcement: Announcement
) -> ChatMessage | None:
    """Queue a test message to the channel (the worker sends it)."""
    return queue(
        actor.org,
        channel.tool,
        ChatMessage.Kind.TEST,
        f"test:{channel.pk}:{timezone.now().timestamp()}",
        {"announcement": asdict(announcement)},
        channel=channel,
    )


@transaction.atomic
def do_record_click(workspace: ChatWorkspace, click: Click) -> ChatMessage | None:
    """A "Share" click, answered by the worker; a click Slack delivers twice is queued once."""
    return queue(
        workspace.org_id,
        workspace.tool,
        ChatMessage.Kind.REPLY,
        f"click:{workspace.tool}:{workspace.external_id}:{click.click_id or click.user}",
        {"click": asdict(click)},
    )


@transaction.atomic
def do_set_digest_channel(
    member: Membership, tool: str, target: dict[str, Any]
) -> ChatPreference | None:
    """The person's digest goes through `tool` ("" for e-mail)."""
    if not tool:
        ChatPreference.objects.filter(membership=member).delete()
        return None
    preference, _created = ChatPreference.objects.update_or_create(
        membership=member, defaults={"org": member.org, "digest_tool": tool, "target": target}
    )
    return preference
