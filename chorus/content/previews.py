"""Filling a content item from its link's page (Open Graph, Twitter card, HTML)."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from chorus.content.models import ContentItem
from chorus.lib.language import detect_language
from chorus.lib.preview import fetch_preview
from chorus.lib.safe_fetch import FetchError, fetch


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
    if not item.image and preview.image_url:
        item.image_url = preview.image_url
        _store_image(item, preview.image_url)
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


IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def _store_image(item: ContentItem, url: str) -> None:
    """Keep a local copy of the preview image: pages never load third-party images."""
    try:
        response = fetch(url, accept=IMAGE_TYPES, max_bytes=MAX_IMAGE_BYTES)
        with Image.open(io.BytesIO(response.body)) as image:
            image.verify()
            extension = (image.format or "img").lower()
    except (FetchError, UnidentifiedImageError, OSError, SyntaxError):
        return  # a missing picture is no reason to fail the preview
    item.image.save(f"preview.{extension}", ContentFile(response.body), save=False)
