"""Filling a content item from its link's page (Open Graph, Twitter card, HTML)."""

from __future__ import annotations

from chorus.content.models import ContentItem
from chorus.lib.language import detect_language
from chorus.lib.preview import fetch_preview
from chorus.lib.safe_fetch import FetchError


def fill_preview(item: ContentItem) -> ContentItem:
    """Fetch the page and fill the fields a person left empty; record a failure plainly."""
    url = item.url
    try:
        preview = fetch_preview(url)
    except FetchError as error:
        ContentItem.objects.filter(pk=item.pk, url=url).update(
            preview_status=ContentItem.Preview.FAILED, preview_error=str(error)[:300]
        )
        item.refresh_from_db()
        return item
    item.refresh_from_db()
    if item.url != url:
        return item  # the link changed meanwhile; its own task will fill it
    if not item.title or item.title == url:
        item.title = preview.title[:300] or item.title
    if not item.summary:
        item.summary = preview.description
    if not item.image_url and not item.image:
        item.image_url = preview.image_url
    if not item.site_name:
        item.site_name = preview.site_name[:200]
    if not item.language_locked:
        item.language = (
            preview.language
            if preview.language in ("en", "fr")
            else detect_language(f"{item.title}. {item.summary}") or item.language
        )
    item.preview_status = ContentItem.Preview.DONE
    item.preview_error = ""
    item.save()
    return item
