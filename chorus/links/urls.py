from django.urls import path

from chorus.links import views

urlpatterns = [
    path("links/", views.links_page, name="links"),
    path("links/settings/", views.settings_page, name="link_settings"),
    path("content/<int:contentitem_id>/link/", views.item_link, name="item_link"),
]
