"""Checks for an organisation's branding: its logo, accent colour and time zone."""

from __future__ import annotations

import functools
import re
import secrets
import zoneinfo
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

# A logo is shown small in the header: half a megabyte and 2048 pixels a side are plenty, and
# keep a decompression bomb from reaching Pillow's full decoder.
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 2048
# Raster formats only: an SVG can carry scripts, and browsers render it from /media/.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}

ACCENT_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def validate_accent_color(value: str) -> None:
    """Accept a colour written as #RRGGBB."""
    if not ACCENT_COLOR.fullmatch(value or ""):
        raise ValidationError(
            _("Enter a colour as # followed by six hexadecimal digits, e.g. #4338ca."),
            code="invalid_color",
        )


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this system knows (read once: the list does not change)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept an IANA time zone name such as Europe/Paris."""
    if value not in time_zone_names():
        raise ValidationError(
            _("%(value)s is not a known time zone (e.g. Europe/Paris or UTC)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def logo_format(file: IO[bytes] | Any) -> str:
    """Check an uploaded logo and return its file extension (png, jpg or webp).

    The format is read from the bytes by Pillow, never from the name or the browser's
    content type, so a file that only pretends to be an image is refused.
    """
    size = getattr(file, "size", None)
    if size is not None and size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is too large: %(max)s KB at most.") % {"max": LOGO_MAX_BYTES // 1024},
            code="logo_too_large",
        )
    position = file.tell() if hasattr(file, "tell") else 0
    kind, width, height = "", 0, 0
    try:
        with Image.open(file) as image:
            kind = image.format or ""
            width, height = image.size
            if kind in LOGO_FORMATS:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = ""
    finally:
        file.seek(position)
    if kind not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."), code="logo_format")
    if max(width, height) > LOGO_MAX_SIDE:
        raise ValidationError(
            _("The logo is too large: %(max)s pixels a side at most.") % {"max": LOGO_MAX_SIDE},
            code="logo_too_large",
        )
    return LOGO_FORMATS[kind]


def validate_logo(file: Any) -> None:
    """Model/form validator: see logo_format."""
    logo_format(file)


def logo_path(instance: Any, filename: str) -> str:
    """Store logos under random names: /media/ URLs can't be guessed from the organisation.

    The action names the file after its real format (see logo_format); any other extension
    is dropped so the media view never serves a logo as something else.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in LOGO_FORMATS.values():
        extension = "img"
    return f"orgs/logos/{secrets.token_urlsafe(16)}.{extension}"
