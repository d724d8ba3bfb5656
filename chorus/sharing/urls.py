from django.urls import path

from chorus.integrations import registry
from chorus.sharing import engagement_views, review_views, views

urlpatterns = [
    path("networks/", views.connections, name="connections"),
    # One address a network with a connect flow: connect_bluesky, connect_mastodon…
    *[
        path(
            f"networks/{integration.key}/",
            views.connect,
            {"network": integration.key},
            name=f"connect_{integration.key}",
        )
        for integration in registry.with_connect_flow()
    ],
    path(
        "networks/<int:connection_id>/disconnect/", views.disconnect, name="connection_disconnect"
    ),
    path("shares/", views.queue, name="share_queue"),
    path("shares/<int:share_id>/", views.share_action, name="share_action"),
    path("shares/<int:share_id>/intent/", views.intent, name="share_intent"),
    path("compose/<int:contentitem_id>/", views.compose, name="compose"),
    path("compose/<int:contentitem_id>/check/", views.compose_check, name="compose_check"),
    path("settings/sharing/", views.policy_page, name="sharing_policy"),
    path("engagements/", engagement_views.engagement_tasks, name="engagement_tasks"),
    path(
        "engagements/<int:engagementtask_id>/close/",
        engagement_views.engagement_task_close,
        name="engagement_task_close",
    ),
    path("engagements/<int:engagementtask_id>/", engagement_views.engage, name="engage"),
    path("review/", review_views.review_queue, name="review_queue"),
    path("review/<int:review_id>/", review_views.review_decide, name="review_decide"),
    path("settings/governance/records/", review_views.records_export, name="records_export"),
]
