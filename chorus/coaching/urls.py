from django.urls import path

from chorus.coaching import views

urlpatterns = [
    path("me/results/", views.my_results, name="my_results"),
    path("teams/<int:team_id>/results/", views.team_results_view, name="team_results"),
    path("coaching/people/<int:membership_id>/", views.coach, name="coach"),
    path("coaching/notes/", views.notes, name="coaching_notes"),
    path("coaching/notes/<int:coachingnote_id>/", views.note, name="coaching_note"),
    path(
        "coaching/workshops/<int:workshop_id>/follow-up/",
        views.workshop_follow_up,
        name="workshop_follow_up",
    ),
]
