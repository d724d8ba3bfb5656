"""The chat tools' pages under an organisation. A tool's own pages are one route per tool in
the registry (like the networks' connect pages), so no URL takes a free-form tool name."""

from django.urls import path

from chorus.chat import views
from chorus.integrations import registry

urlpatterns = [
    path("settings/chat/", views.chat_settings, name="chat_settings"),
    path(
        "settings/chat/channels/<int:chatchannel_id>/remove/",
        views.chat_channel_remove,
        name="chat_channel_remove",
    ),
    path(
        "settings/chat/channels/<int:chatchannel_id>/test/",
        views.chat_channel_test,
        name="chat_channel_test",
    ),
    path("notifications/chat/", views.digest_channel, name="digest_channel"),
]
for _tool in registry.chat_tools():
    _key = {"tool": _tool.key}
    if _tool.channel_url_check is not None:
        urlpatterns.append(
            path(
                f"settings/chat/{_tool.key}/channels/add/",
                views.chat_channel_add,
                _key,
                name="chat_channel_add",
            )
        )
    if _tool.connect is None:
        continue
    urlpatterns += [
        path(f"settings/chat/{_tool.key}/connect/", views.chat_connect, _key, name="chat_connect"),
        path(
            f"settings/chat/{_tool.key}/disconnect/",
            views.chat_disconnect,
            _key,
            name="chat_disconnect",
        ),
        path(
            f"settings/chat/{_tool.key}/channels/",
            views.chat_channels_pick,
            _key,
            name="chat_channels_pick",
        ),
    ]

# Reached by the tool itself, without an organisation in the address.
tool_urlpatterns = []
for _tool in registry.chat_tools():
    _key = {"tool": _tool.key}
    if _tool.connect is not None:
        tool_urlpatterns.append(
            path(f"chat/{_tool.key}/callback/", views.chat_callback, _key, name="chat_callback")
        )
    if _tool.interactions is not None:
        tool_urlpatterns.append(
            path(
                f"chat/{_tool.key}/interactions/",
                views.chat_interactions,
                _key,
                name="chat_interactions",
            )
        )
