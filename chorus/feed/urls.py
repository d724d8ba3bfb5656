from django.urls import path

from chorus.feed import views

urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
    path("feed/", views.feed, name="feed"),
    path("feed/<int:contentitem_id>/not-for-me/", views.not_for_me, name="not_for_me"),
    path(
        "feed/<int:contentitem_id>/not-for-me/undo/",
        views.not_for_me_undo,
        name="not_for_me_undo",
    ),
]
