from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "chorus.feed"
    verbose_name = _("Personal feed")

    def ready(self) -> None:
        from chorus.feed import cache, circles
        from chorus.feed.models import posting_habits
        from chorus.sharing import variants
        from chorus.sharing.scheduling import read_habits_with

        cache.connect()
        variants.register_circles(circles.overlapping)
        # Sharing schedules by the person's habits, kept on the profile here (above it).
        read_habits_with(posting_habits)
