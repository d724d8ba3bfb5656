from django.urls import path

from chorus.analytics import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export.csv", views.export_csv, name="dashboard_csv"),
    path("dashboard/export.xlsx", views.export_xlsx, name="dashboard_xlsx"),
    path("dashboard/settings/", views.settings_page, name="analytics_settings"),
]
