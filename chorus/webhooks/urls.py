from django.urls import path

from chorus.webhooks import views

urlpatterns = [
    path("settings/webhooks/", views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path(
        "settings/webhooks/<int:endpoint_id>/toggle/", views.webhook_toggle, name="webhook_toggle"
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="webhook_delete"
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/messages/<int:message_id>/replay/",
        views.webhook_replay,
        name="webhook_replay",
    ),
]
