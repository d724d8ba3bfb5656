from django.urls import path

from chorus.feed import views

urlpatterns = [
    path("me/", views.my_profile, name="my_profile"),
]
