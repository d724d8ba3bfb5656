from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from chorus.accounts import personal_data_views
from chorus.accounts import views as account_views
from chorus.chat import urls as chat_urls
from chorus.integrations import registry
from chorus.links import redirect as link_redirect
from chorus.links import views as link_views
from chorus.notify import views as notify_views
from chorus.orgs import invitation_views
from chorus.sharing import views as sharing_views
from chorus.web import home
from chorus.web import views as web_views

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("manifest.webmanifest", web_views.manifest, name="manifest"),
    path("sw.js", web_views.service_worker, name="service_worker"),
    path("offline/", web_views.offline, name="offline"),
    path("accounts/", include("allauth.urls")),
    path("profile/", account_views.profile, name="profile"),
    path("profile/data.json", account_views.my_data, name="my_data"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("orgs/", home.organisations, name="organisations"),
    # First-run set-up, the operator's organisations, an organisation's own settings.
    path("", include("chorus.orgs.setup_urls")),
    path("", include("chorus.sso.urls")),
    path("invitations/<str:token>/", invitation_views.accept, name="invitation_accept"),
    path(
        "invitations/<str:token>/ask-again/",
        invitation_views.request_new,
        name="invitation_request_new",
    ),
    path("o/<slug:org>/", home.org_home, name="org_home"),
    path(
        "o/<slug:org>/members/<int:membership_id>/data.json",
        personal_data_views.member_data,
        name="member_data",
    ),
    path(
        "o/<slug:org>/members/<int:membership_id>/erase/",
        personal_data_views.member_erase,
        name="member_erase",
    ),
    path("o/<slug:org>/", include("chorus.orgs.urls")),
    path("o/<slug:org>/", include("chorus.content.urls")),
    path("o/<slug:org>/", include("chorus.links.urls")),
    path("o/<slug:org>/", include("chorus.program.urls")),
    path("o/<slug:org>/", include("chorus.feed.urls")),
    path("o/<slug:org>/", include("chorus.governance.urls")),
    path("o/<slug:org>/", include("chorus.sharing.urls")),
    path("o/<slug:org>/", include("chorus.notify.urls")),
    path("o/<slug:org>/", include("chorus.analytics.urls")),
    path("o/<slug:org>/", include("chorus.engage.urls")),
    path("o/<slug:org>/", include("chorus.coaching.urls")),
    path("o/<slug:org>/", include("chorus.scim.settings_urls")),
    path("o/<slug:org>/", include("chorus.webhooks.urls")),
    path("o/<slug:org>/", include("chorus.chat.urls")),
    path("", include(chat_urls.tool_urlpatterns)),
    *[
        path(
            f"networks/{network}/callback/",
            sharing_views.connection_callback,
            {"network": network},
            name=f"connection_callback_{network}",
        )
        for network in registry.callback_networks()
    ],
    path(
        "digest/unsubscribe/<str:token>/",
        notify_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
    path("l/<str:code>", link_redirect.follow, name="link_redirect"),
    path("t/<str:site_key>.js", link_views.tracking_script, name="tracking_script"),
    path("", include("chorus.api.urls")),
    # SCIM 2.0 provisioning, one base URL per organisation (chorus/scim/views.py).
    path("scim/v2/<slug:org>/", include("chorus.scim.urls")),
]

if settings.CHORUS_SERVE_MEDIA:
    # Uploaded and fetched images, served by the app in the embedded profile.
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", web_views.media, name="media"))

if settings.CHORUS_ADMIN_ENABLED:
    urlpatterns.append(path("django-admin/", admin.site.urls))
