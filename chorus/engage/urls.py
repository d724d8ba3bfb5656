from django.urls import path

from chorus.engage import onboarding_views, views

urlpatterns = [
    path("programme/onboarding/", onboarding_views.team_onboarding, name="team_onboarding"),
    path(
        "programme/onboarding/<int:membership_id>/nudge/",
        onboarding_views.nudge,
        name="onboarding_nudge",
    ),
    path("start/", onboarding_views.start, name="start"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("leaderboard/visibility/", views.leaderboard_visibility, name="leaderboard_visibility"),
    path("points/", views.my_points, name="my_points"),
    path("points/rules/", views.points_rules, name="points_rules"),
    path("badges/", views.badges, name="badges"),
    path("challenges/", views.challenges, name="challenges"),
    path("challenges/new/", views.challenge_edit, name="challenge_new"),
    path("challenges/<int:challenge_id>/", views.challenge, name="challenge"),
    path("challenges/<int:challenge_id>/edit/", views.challenge_edit, name="challenge_edit"),
]
