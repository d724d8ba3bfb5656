from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "chorus.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from chorus.webhooks import receivers  # noqa: F401  (connects the programme receivers)
