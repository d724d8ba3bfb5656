from django.urls import path

from chorus.orgs import invitation_views, personal_data_views, views

# The organisation's home page, "org_home", is chorus.web.home.org_home (chorus/urls.py).
urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/<int:membership_id>/data.json",
        personal_data_views.member_data,
        name="member_data",
    ),
    path(
        "members/<int:membership_id>/erase/",
        personal_data_views.member_erase,
        name="member_erase",
    ),
    path(
        "members/invitations/<int:invitation_id>/resend/",
        invitation_views.resend,
        name="invitation_resend",
    ),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        invitation_views.revoke,
        name="invitation_revoke",
    ),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.team_detail, name="team_detail"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/", views.settings_index, name="org_settings"),
]
