"""Addresses of single sign-on pages (included at the root: some are not an org's)."""

from django.urls import path

from chorus.sso import views

urlpatterns = [
    path("sso/", views.lookup, name="sso_lookup"),
    path("sso/<slug:provider_id>/", views.start, name="sso_start"),
    path("sso/<slug:provider_id>/metadata/", views.saml_metadata, name="sso_saml_metadata"),
    path("operator/domains/", views.operator_domains, name="operator_domains"),
    path("o/<slug:org>/settings/sso/", views.sso_settings, name="sso_settings"),
    path("o/<slug:org>/settings/sso/test/", views.sso_test, name="sso_test"),
    path("o/<slug:org>/settings/sso/saml/refresh/", views.saml_refresh, name="sso_saml_refresh"),
    path(
        "o/<slug:org>/settings/sso/domains/<int:emaildomain_id>/remove/",
        views.domain_remove,
        name="sso_domain_remove",
    ),
]
