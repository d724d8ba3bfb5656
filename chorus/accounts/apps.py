from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(using: str = "default", **kwargs: Any) -> None:
    """Create the database cache's table (embedded profile) after `migrate`; a no-op when
    the cache is Redis or the table exists."""
    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "chorus.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Login rate limits live in the cache (settings.CACHES): its table must exist.
        post_migrate.connect(create_cache_table, sender=self)
        # Imported here, not at the top: personal_data imports every app's models, which
        # can only be imported once the app registry is ready.
        from chorus.accounts.personal_data import erase_contributions
        from chorus.program.actions import register_contributions_eraser

        register_contributions_eraser(erase_contributions)
