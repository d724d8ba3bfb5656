"""The "Chat tools" settings page (organisation admins), Slack's OAuth callback and its
interactive requests, and a person's choice of how to get their digest."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.chat import actions
from chorus.chat.access import get_channel, get_tool
from chorus.chat.announcements import announcing_org, base_url
from chorus.chat.digests import can_carry
from chorus.chat.forms import DigestChannelForm, PickChannelsForm, UrlChannelForm
from chorus.chat.models import ChatChannel, ChatMessage, ChatPreference, ChatWorkspace
from chorus.integrations import registry
from chorus.integrations.base import PublishError
from chorus.integrations.capabilities import Announcement, ChatTool
from chorus.integrations.oauth import new_state, states_match
from chorus.orgs.access import get_membership, org_view, require_role
from chorus.orgs.models import Membership, Role

logger = logging.getLogger(__name__)

SESSION_KEY = "chorus_chat_connect"
RECENT_MESSAGES = 20


def _panels(membership: Membership) -> list[dict[str, Any]]:
    workspaces = {w.tool: w for w in ChatWorkspace.objects.filter(org=membership.org)}
    channels = list(ChatChannel.objects.filter(org=membership.org))
    panels = []
    for tool in registry.chat_tools():
        panels.append(
            {
                "tool": tool,
                "workspace": workspaces.get(tool.key),
                "channels": [channel for channel in channels if channel.tool == tool.key],
                "url_form": UrlChannelForm(tool=tool, prefix=tool.key)
                if tool.channel_url_check
                else None,
            }
        )
    return panels


def _render_settings(
    request: HttpRequest, membership: Membership, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {
        "panels": _panels(membership),
        "recent": ChatMessage.objects.filter(org=membership.org)
        .exclude(kind=ChatMessage.Kind.DIGEST)
        .select_related("channel")[:RECENT_MESSAGES],
    }
    context.update(extra)
    response = render(request, "chat/settings.html", context, status=status)
    # The browser applies our CSP's form-action to the redirect that follows "Connect": this
    # page, and only it, allows the consent pages of the tools it offers to connect.
    origins = [
        _origin(tool.connect.authorize_url(_callback_uri(request, tool.key), ""))
        for tool in registry.chat_tools()
        if tool.connect is not None and tool.connect.enabled()
    ]
    if any(origins):
        response._csp_update = {"form-action": [o for o in origins if o]}  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@never_cache
@require_GET
@org_view(Role.ORG_ADMIN)
def chat_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _render_settings(request, membership)


@require_POST
@org_view(Role.ORG_ADMIN)
def chat_connect(request: HttpRequest, membership: Membership, tool: str) -> HttpResponse:
    """Send the admin to the tool's consent page; the `state` waits in their session."""
    found = get_tool(tool)
    if found.connect is None:
        raise Http404
    if not found.connect.enabled():
        messages.error(
            request,
            _(
                "This server has no app for this tool yet: its administrator sets it up "
                "(see the README)."
            ),
        )
        return redirect("chat_settings", org=membership.org.slug)
    state = new_state()
    request.session[SESSION_KEY] = {"state": state, "org": membership.org.slug, "tool": tool}
    return redirect(found.connect.authorize_url(_callback_uri(request, tool), state))


def _callback_uri(request: HttpRequest, tool: str) -> str:
    return request.build_absolute_uri(reverse("chat_callback", kwargs={"tool": tool}))


@never_cache
@require_GET
def chat_callback(request: HttpRequest, tool: str) -> HttpResponse:
    """The tool sends the admin back with a code: the state must be the one we issued."""
    found = get_tool(tool)
    pending = request.session.pop(SESSION_KEY, None) or {}
    if found.connect is None or not pending or pending.get("tool") != tool:
        raise Http404
    membership = get_membership(request.user, str(pending.get("org", "")))
    require_role(membership, Role.ORG_ADMIN)
    target = redirect("chat_settings", org=membership.org.slug)
    if not states_match(str(pending.get("state", "")), request.GET.get("state", "")):
        messages.error(request, _("The connection could not be checked: please try again."))
        return target
    code = request.GET.get("code", "")
    if not code:
        messages.error(request, _("The connection was not allowed."))
        return target
    try:
        workspace = found.connect.finish(code, _callback_uri(request, tool))
    except PublishError as error:
        logger.warning("chat connect %s refused: %s", tool, error.message)
        messages.error(
            request,
            _("%(tool)s refused the connection: %(reason)s")
            % {"tool": found.label, "reason": error.code},
        )
        return target
    actions.do_connect_workspace(membership, tool, workspace)
    messages.success(request, _("Connected to %(name)s.") % {"name": workspace.name})
    return redirect("chat_channels_pick", org=membership.org.slug, tool=tool)


@require_POST
@org_view(Role.ORG_ADMIN)
def chat_disconnect(request: HttpRequest, membership: Membership, tool: str) -> HttpResponse:
    get_tool(tool)
    workspace = ChatWorkspace.objects.filter(org=membership.org, tool=tool).first()
    if workspace is not None:
        actions.do_disconnect_workspace(membership, workspace)
    messages.success(request, _("Disconnected."))
    return redirect("chat_settings", org=membership.org.slug)


@never_cache
@require_http_methods(["GET", "POST"])
@org_view(Role.ORG_ADMIN)
def chat_channels_pick(request: HttpRequest, membership: Membership, tool: str) -> HttpResponse:
    """The connected workspace's channels (conversations.list), to pick where to announce."""
    found = get_tool(tool)
    workspace = ChatWorkspace.objects.filter(org=membership.org, tool=tool).first()
    if found.connect is None:
        raise Http404
    if workspace is None:
        messages.error(request, _("Connect the workspace first."))
        return redirect("chat_settings", org=membership.org.slug)
    try:
        choices = found.connect.channels(workspace.credentials)
    except PublishError as error:
        messages.error(
            request, _("The channels could not be listed: %(reason)s") % {"reason": error.code}
        )
        return redirect("chat_settings", org=membership.org.slug)
    taken = set(
        ChatChannel.objects.filter(workspace=workspace).values_list("external_id", flat=True)
    )
    choices = [choice for choice in choices if choice[0] not in taken]
    form = PickChannelsForm(request.POST or None, choices=choices)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request,
                "chat/pick.html",
                {"form": form, "tool": found, "workspace": workspace},
                status=400,
            )
        names = dict(choices)
        for channel_id in form.cleaned_data["channels"]:
            actions.do_add_channel(
                membership,
                tool,
                name=f"#{names[channel_id]}",
                target={"channel": channel_id},
                workspace=workspace,
                external_id=channel_id,
                announce_content=form.cleaned_data["announce_content"],
                announce_campaigns=form.cleaned_data["announce_campaigns"],
            )
        messages.success(request, _("The channels were added."))
        return redirect("chat_settings", org=membership.org.slug)
    return render(request, "chat/pick.html", {"form": form, "tool": found, "workspace": workspace})


@require_POST
@org_view(Role.ORG_ADMIN)
def chat_channel_add(request: HttpRequest, membership: Membership, tool: str) -> HttpResponse:
    """A channel reached by its webhook URL (Teams)."""
    found = get_tool(tool)
    if found.channel_url_check is None:
        raise Http404
    form = UrlChannelForm(request.POST, tool=found, prefix=tool)
    if not form.is_valid():
        return _render_settings(request, membership, 400, invalid_form=form, invalid_tool=tool)
    actions.do_add_channel(
        membership,
        tool,
        name=form.cleaned_data["name"],
        target={"url": form.cleaned_data["url"]},
        announce_content=form.cleaned_data["announce_content"],
        announce_campaigns=form.cleaned_data["announce_campaigns"],
    )
    messages.success(request, _("The channel was added."))
    return redirect("chat_settings", org=membership.org.slug)


@require_POST
@org_view(Role.ORG_ADMIN)
def chat_channel_remove(
    request: HttpRequest, membership: Membership, chatchannel_id: int
) -> HttpResponse:
    actions.do_remove_channel(membership, get_channel(membership, chatchannel_id))
    messages.success(request, _("The channel was removed."))
    return redirect("chat_settings", org=membership.org.slug)


@require_POST
@org_view(Role.ORG_ADMIN)
def chat_channel_test(
    request: HttpRequest, membership: Membership, chatchannel_id: int
) -> HttpResponse:
    """Queue a test message; the worker sends it within a minute and the page shows how it went."""
    channel = get_channel(membership, chatchannel_id)
    org = membership.org
    announcement = Announcement(
        kind="content",
        title=_("Test message from Chorus"),
        summary=_("If you can read this, announcements will arrive in this channel."),
        url="",
        open_url=base_url() + reverse("org_home", kwargs={"org": org.slug}),
        share_value="",
        language=org.default_language,
        org_name=org.name,
    )
    actions.do_send_test(membership, channel, announcement)
    messages.success(
        request, _("A test message is on its way to %(name)s.") % {"name": channel.name}
    )
    return redirect("chat_settings", org=org.slug)


@csrf_exempt  # signed by the tool (its signing secret), not by a browser session
@require_POST
def chat_interactions(request: HttpRequest, tool: str) -> HttpResponse:
    """A button clicked in an announcement. Answered at once (Slack waits 3 seconds); the
    worker finds who clicked and answers them privately."""
    found = get_tool(tool)
    if found.interactions is None:
        raise Http404
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not found.interactions.verify(request.body, headers):
        return HttpResponse(status=401)
    click = found.interactions.click(request.body)
    if click is None:
        return HttpResponse(status=200)
    # The organisation whose announcement was clicked (a workspace may serve several).
    workspace = ChatWorkspace.objects.filter(
        tool=tool, external_id=click.workspace, org_id=announcing_org(click.value)
    ).first()
    if workspace is None:
        return HttpResponse(status=200)  # a workspace that was disconnected: nothing to do
    actions.do_record_click(workspace, click)
    return HttpResponse(status=200)


def _digest_tools(membership: Membership) -> list[ChatTool]:
    return [tool for tool in registry.chat_tools() if can_carry(membership, tool.key)]


@never_cache
@require_http_methods(["GET", "POST"])
@org_view()
def digest_channel(request: HttpRequest, membership: Membership) -> HttpResponse:
    """How the person gets their digest: by e-mail, or in a chat tool."""
    preference = ChatPreference.objects.filter(membership=membership).first()
    tools = _digest_tools(membership)
    has_url = bool(preference and preference.target.get("url"))
    initial = {"via": preference.digest_tool if preference else ""}
    form = DigestChannelForm(request.POST or None, initial=initial, tools=tools, has_url=has_url)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "chat/digest_channel.html", {"form": form}, status=400)
        via = form.cleaned_data["via"]
        target: dict[str, str] = {}
        if via and registry.chat_tool(via).personal_url:
            kept = (
                preference.target.get("url", "")
                if preference and preference.digest_tool == via
                else ""
            )
            target = {"url": form.cleaned_data.get("url") or kept}
            if not target["url"]:
                form.add_error("url", _("Give the URL your digest is posted to."))
                return render(request, "chat/digest_channel.html", {"form": form}, status=400)
        actions.do_set_digest_channel(membership, via, target)
        messages.success(request, _("Saved."))
        return redirect("digest_channel", org=membership.org.slug)
    return render(request, "chat/digest_channel.html", {"form": form})
