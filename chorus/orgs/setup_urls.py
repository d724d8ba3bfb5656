"""Addresses of the pages that create and configure organisations (included at the root)."""

from django.urls import path

from chorus.orgs import setup_views

urlpatterns = [
    path("setup/", setup_views.setup, name="setup"),
    path(
        "operator/organisations/",
        setup_views.operator_organisations,
        name="operator_organisations",
    ),
    path(
        "o/<slug:org>/settings/organisation/",
        setup_views.organisation_settings,
        name="org_settings_organisation",
    ),
]
