"""Mounted at /scim/v2/<org>/ (see chorus/urls.py)."""

from django.urls import path, re_path

from chorus.scim import views

urlpatterns = [
    path("", views.root, name="scim_root"),
    path("ServiceProviderConfig", views.service_provider_config, name="scim_config"),
    path("ResourceTypes", views.resource_types, name="scim_resource_types"),
    path("ResourceTypes/<str:resource_id>", views.resource_type, name="scim_resource_type"),
    path("Schemas", views.schemas, name="scim_schemas"),
    path("Schemas/<str:resource_id>", views.schema, name="scim_schema"),
    path(".search", views.search, name="scim_search"),
    path("Users/.search", views.search),
    path("Groups/.search", views.search),
    path("Users", views.users, name="scim_users"),
    path("Users/<str:resource_id>", views.user, name="scim_user"),
    path("Groups", views.groups, name="scim_groups"),
    path("Groups/<str:resource_id>", views.group, name="scim_group"),
    re_path(r"^(?P<rest>.+)$", views.unknown),
]
