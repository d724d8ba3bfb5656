from django.urls import path

from chorus.chat import views

urlpatterns = [
    path("settings/chat/", views.chat_settings, name="chat_settings"),
    path("settings/chat/<slug:tool>/connect/", views.chat_connect, name="chat_connect"),
    path("settings/chat/<slug:tool>/disconnect/", views.chat_disconnect, name="chat_disconnect"),
    path(
        "settings/chat/<slug:tool>/channels/", views.chat_channels_pick, name="chat_channels_pick"
    ),
    path(
        "settings/chat/<slug:tool>/channels/add/", views.chat_channel_add, name="chat_channel_add"
    ),
    path(
        "settings/chat/channels/<int:channel_id>/remove/",
        views.chat_channel_remove,
        name="chat_channel_remove",
    ),
    path(
        "settings/chat/channels/<int:channel_id>/test/",
        views.chat_channel_test,
        name="chat_channel_test",
    ),
    path("notifications/chat/", views.digest_channel, name="digest_channel"),
]
