from django.urls import path

from chorus.governance import views

urlpatterns = [
    path("settings/governance/", views.governance_page, name="governance"),
    path("settings/governance/audit/", views.audit_export, name="audit_export"),
]
