from django.urls import path

from chorus.orgs import invitation_views, views

# In chorus/urls.py, from higher layers: the organisation's home page ("org_home",
# chorus.web.home) and a member's personal data ("member_data", "member_erase",
# chorus.accounts.personal_data_views).
urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
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
