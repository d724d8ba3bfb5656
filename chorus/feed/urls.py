from django.urls import path

from chorus.feed import views

urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
    path("feed/", views.feed, name="feed"),
    path("feed/<int:contentitem_id>/not-for-me/", views.not_for_me, name="not_for_me"),
]
