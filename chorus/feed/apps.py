from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "chorus.feed"
    verbose_name = _("Personal feed")

    def ready(self) -> None:
        from chorus.feed import cache

        cache.connect()
