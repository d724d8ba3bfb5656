from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinksConfig(AppConfig):
    name = "chorus.links"
    verbose_name = _("Tracked links")

    def ready(self) -> None:
        from chorus.links import receivers  # noqa: F401 - connects the signal handlers
