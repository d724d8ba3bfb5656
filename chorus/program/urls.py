from django.urls import path

from chorus.program import views

urlpatterns = [
    path("programme/", views.overview, name="programme"),
    path("programme/join/", views.join, name="programme_join"),
    path("programme/leave/", views.leave, name="programme_leave"),
]
