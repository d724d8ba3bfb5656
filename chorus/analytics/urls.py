from django.urls import path

from chorus.analytics import health_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("content/<int:contentitem_id>/variants/", views.item_variants, name="item_variants"),
    path("dashboard/export.csv", views.export_csv, name="dashboard_csv"),
    path("dashboard/export.xlsx", views.export_xlsx, name="dashboard_xlsx"),
    path("dashboard/settings/", views.settings_page, name="analytics_settings"),
    path("programme/health/", health_views.health, name="programme_health"),
    path("programme/health/thresholds/", health_views.thresholds, name="health_thresholds"),
]
