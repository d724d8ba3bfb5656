"""Forms of the "Chat tools" page and of a person's digest preference."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.integrations.capabilities import ChatTool


def _checked_url(tool: ChatTool, url: str) -> str:
    if tool.channel_url_check is None:
        return url
    try:
        return tool.channel_url_check(url)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from error


class UrlChannelForm(forms.Form):
    """A channel reached through its webhook URL (Teams): the URL is a secret."""

    name = forms.CharField(label=_("Channel name"), max_length=200)
    url = forms.CharField(
        label=_("Webhook or Workflows URL"),
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "In Teams: the channel's Workflows “Post to a channel when a webhook request is "
            "received”, or its incoming webhook."
        ),
    )
    announce_content = forms.BooleanField(
        label=_("Announce new content"), required=False, initial=True
    )
    announce_campaigns = forms.BooleanField(
        label=_("Announce new campaigns"), required=False, initial=True
    )

    def __init__(self, *args: Any, tool: ChatTool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tool = tool

    def clean_url(self) -> str:
        return _checked_url(self.tool, self.cleaned_data["url"])


class PickChannelsForm(forms.Form):
    """Channels of the connected workspace to announce in (Slack's conversations.list)."""

    channels = forms.MultipleChoiceField(
        label=_("Channels"), widget=forms.CheckboxSelectMultiple, required=True
    )
    announce_content = forms.BooleanField(
        label=_("Announce new content"), required=False, initial=True
    )
    announce_campaigns = forms.BooleanField(
        label=_("Announce new campaigns"), required=False, initial=True
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [  # type: ignore[attr-defined]
            (cid, f"#{name}") for cid, name in choices
        ]


class DigestChannelForm(forms.Form):
    """Where the person's digest goes: e-mail, or a chat tool this server can carry it by."""

    via = forms.ChoiceField(label=_("Send my digest by"), widget=forms.RadioSelect)
    url = forms.CharField(
        label=_("My own Workflows URL (Teams)"),
        max_length=2000,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "In Teams, a Workflows “Send webhook alerts to a chat” flow posts to your own "
            "chat. Leave empty to keep the one saved."
        ),
    )

    def __init__(self, *args: Any, tools: list[ChatTool], has_url: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tools = {tool.key: tool for tool in tools}
        self.has_url = has_url
        self.fields["via"].choices = [  # type: ignore[attr-defined]
            ("", _("E-mail")),
            *((tool.key, tool.label) for tool in tools),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tool = self.tools.get(data.get("via") or "")
        if tool is not None and tool.personal_url:
            url = (data.get("url") or "").strip()
            if url:
                try:
                    data["url"] = _checked_url(tool, url)
                except forms.ValidationError as error:
                    self.add_error("url", error)
            elif not self.has_url:
                self.add_error("url", _("Give the URL your digest is posted to."))
        return data
