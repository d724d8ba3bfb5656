from django.urls import path

from chorus.sharing import views

urlpatterns = [
    path("networks/", views.connections, name="connections"),
    path("shares/", views.queue, name="share_queue"),
]
