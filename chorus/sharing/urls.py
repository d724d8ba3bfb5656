from django.urls import path

from chorus.sharing import views

urlpatterns = [
    path("networks/", views.connections, name="connections"),
    path("networks/bluesky/", views.connect_bluesky, name="connect_bluesky"),
    path("networks/mastodon/", views.connect_mastodon, name="connect_mastodon"),
    path(
        "networks/linkedin/",
        views.connect_oauth,
        {"network": "linkedin"},
        name="connect_linkedin",
    ),
    path("networks/x/", views.connect_oauth, {"network": "x"}, name="connect_x"),
    path(
        "networks/<int:connection_id>/disconnect/", views.disconnect, name="connection_disconnect"
    ),
    path("shares/", views.queue, name="share_queue"),
    path("shares/<int:share_id>/", views.share_action, name="share_action"),
    path("shares/<int:share_id>/intent/", views.intent, name="share_intent"),
    path("compose/<int:contentitem_id>/", views.compose, name="compose"),
    path("compose/<int:contentitem_id>/check/", views.compose_check, name="compose_check"),
    path("settings/sharing/", views.policy_page, name="sharing_policy"),
]
