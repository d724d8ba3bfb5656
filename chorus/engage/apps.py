from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngageConfig(AppConfig):
    name = "chorus.engage"
    label = "engage"
    verbose_name = _("Points and challenges")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.engage import receivers  # noqa: F401 - connects the signal handlers
