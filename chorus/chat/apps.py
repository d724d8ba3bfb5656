from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chorus.chat"
    label = "chat"
    verbose_name = _("Chat tools")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.chat import receivers  # noqa: F401  (announces new content and campaigns)
        from chorus.chat.digests import route
        from chorus.notify.digest import register_digest_route

        register_digest_route(route)
