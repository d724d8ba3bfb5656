from django.urls import path

from chorus.program import learning_views, views

urlpatterns = [
    path("programme/", views.overview, name="programme"),
    path("programme/join/", views.join, name="programme_join"),
    path("programme/leave/", views.leave, name="programme_leave"),
    path("resources/", learning_views.resources, name="resources"),
    path("resources/new/", learning_views.resource_edit, name="resource_new"),
    path("resources/<int:resource_id>/", learning_views.resource, name="resource"),
    path("resources/<int:resource_id>/edit/", learning_views.resource_edit, name="resource_edit"),
    path("workshops/", learning_views.workshops, name="workshops"),
    path("workshops/<int:workshop_id>/", learning_views.workshop, name="workshop"),
    path("questions/", learning_views.questions, name="questions"),
    path("questions/ask/", learning_views.ask, name="ask"),
    path("questions/<int:question_id>/", learning_views.question, name="question"),
    path("faq/", learning_views.faq, name="faq"),
]
