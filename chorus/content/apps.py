from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "chorus.content"
    verbose_name = _("Content hub")

    def ready(self) -> None:
        import metadata_parser

        # With tldextract installed, metadata_parser would download the public suffix list
        # while parsing a page; Chorus resolves links itself and never makes that request.
        metadata_parser.USE_TLDEXTRACT = False
