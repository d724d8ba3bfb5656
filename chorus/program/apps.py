from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "chorus.program"
    verbose_name = _("Ambassador programme")

    def ready(self) -> None:
        from chorus.program import receivers  # noqa: F401 - connects the signal handlers
