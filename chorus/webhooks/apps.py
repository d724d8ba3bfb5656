from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "chorus.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
