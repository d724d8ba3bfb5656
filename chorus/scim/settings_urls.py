"""The SCIM settings pages, under /o/<org>/ (see chorus/urls.py)."""

from django.urls import path

from chorus.scim import settings_views

urlpatterns = [
    path("settings/scim/", settings_views.scim_settings, name="scim_settings"),
    path(
        "settings/scim/tokens/<int:scimtoken_id>/revoke/",
        settings_views.scim_token_revoke,
        name="scim_token_revoke",
    ),
]
