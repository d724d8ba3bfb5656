from django.urls import path

from chorus.api import views
from chorus.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
