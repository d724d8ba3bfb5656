from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "chorus.feed"
    verbose_name = _("Personal feed")

    def ready(self) -> None:
        from chorus.feed import cache, circles
        from chorus.sharing import variants

        cache.connect()
        variants.register_circles(circles.overlapping)
