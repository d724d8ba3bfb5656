from django.urls import path

from chorus.notify import views

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("settings/digest/", views.settings_page, name="digest_settings"),
    path("notifications/read/", views.read_all, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/open/",
        views.open_notification,
        name="notification_open",
    ),
]
