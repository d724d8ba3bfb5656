from django.urls import path

from chorus.content import views

urlpatterns = [
    path("content/", views.library, name="library"),
    path("content/new/", views.item_create, name="item_create"),
    path("content/import/", views.item_import, name="item_import"),
    path("content/import/<int:importjob_id>/", views.import_job, name="import_job"),
    path("content/<int:contentitem_id>/", views.item_detail, name="item_detail"),
    path("content/<int:contentitem_id>/edit/", views.item_edit, name="item_edit"),
    path(
        "content/<int:contentitem_id>/preview/",
        views.item_refresh_preview,
        name="item_refresh_preview",
    ),
    path("content/<int:contentitem_id>/captions/", views.caption_add, name="caption_add"),
    path("content/<int:contentitem_id>/images/", views.image_add, name="image_add"),
    path("images/<int:contentimage_id>/", views.image_change, name="image_change"),
    path("captions/check/", views.caption_check, name="caption_check"),
    path("captions/<int:caption_id>/", views.caption_edit, name="caption_edit"),
    path("captions/<int:caption_id>/delete/", views.caption_delete, name="caption_delete"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", views.campaign_edit, name="campaign_edit"),
    path("topics/", views.topics, name="topics"),
    path("topics/<int:topic_id>/", views.topic_edit, name="topic_edit"),
    path("personas/", views.personas, name="personas"),
    path("personas/<int:persona_id>/", views.persona_edit, name="persona_edit"),
    path("sources/", views.sources, name="sources"),
    path("sources/<int:source_id>/", views.source_edit, name="source_edit"),
    path("sources/<int:source_id>/poll/", views.source_poll, name="source_poll"),
    path("curation/", views.curation, name="curation"),
    path("curation/<int:curatedentry_id>/promote/", views.entry_promote, name="entry_promote"),
    path("curation/<int:curatedentry_id>/dismiss/", views.entry_dismiss, name="entry_dismiss"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path(
        "suggestions/<int:suggestion_id>/accept/", views.suggestion_accept, name="suggestion_accept"
    ),
    path(
        "suggestions/<int:suggestion_id>/decline/",
        views.suggestion_decline,
        name="suggestion_decline",
    ),
]
