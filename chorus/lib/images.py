"""Images people upload and Chorus posts natively: checked, cleaned and fitted with Pillow.

Two moments, two functions:

- `clean_upload` when a programme manager uploads an image: it must really be an image
  (Pillow decodes it whole, not only its header), in a format every network takes or one
  we can re-encode, under `MAX_UPLOAD_BYTES`; it is stored re-encoded without its metadata
  (EXIF, with the GPS position a phone writes, XMP, comments), turned upright first so that
  dropping the orientation tag does not turn it on its side.
- `fit` when publishing: each network declares what it takes (formats, bytes, longest
  side; `integrations.capabilities.MediaLimits`); an image that does not fit is scaled
  down and re-encoded (JPEG at falling qualities, PNG kept as PNG while it fits) until it
  does, or refused with a message that says why.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# The largest upload accepted: phone photos are 3 to 12 MB.
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Decompression bombs: refuse images of more pixels than a 48-megapixel camera makes.
MAX_PIXELS = 50_000_000
# What an upload may be; stored as JPEG, or PNG when it has transparency or is a PNG.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# The JPEG qualities tried, best first, when a network's byte limit calls for smaller files.
QUALITIES = (90, 82, 74, 66, 58)


class ImageRefused(ValueError):
    """The file is not an image Chorus can take or send; the message is for the person."""


@dataclass(frozen=True)
class CleanImage:
    """An image's bytes without metadata, with what a network needs to know about it."""

    data: bytes
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF
    width: int
    height: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def _open(data: bytes) -> Image.Image:
    """Decode the whole image, or raise ImageRefused."""
    if not data:
        raise ImageRefused(_("The file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # checks the structure without decoding the pixels
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ImageRefused(
                _(
                    "The image is %(width)s by %(height)s pixels; "
                    "at most %(limit)s megapixels are accepted."
                )
                % {"width": image.width, "height": image.height, "limit": MAX_PIXELS // 1_000_000}
            )
        image.load()  # decodes the pixels: a truncated file fails here
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRefused(_("The file is not an image Chorus can read.")) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRefused(
            _("%(format)s images are not accepted: use JPEG, PNG or WebP.")
            % {"format": image.format}
        )
    return image


def clean_upload(data: bytes) -> CleanImage:
    """Check an uploaded image and return it re-encoded, upright, without metadata."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRefused(
            _("The image is too large: at most %(size)s MB.")
            % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    image = _open(data)
    source_format = str(image.format)
    upright = ImageOps.exif_transpose(image) or image
    # GIF and PNG keep lossless pixels as PNG (a GIF's animation is not posted natively);
    # everything else becomes JPEG unless it has transparency to keep.
    keep_png = source_format in ("PNG", "GIF") or _has_alpha(upright)
    return _encode(upright, "PNG" if keep_png else "JPEG", QUALITIES[0])


def fit(data: bytes, *, formats: frozenset[str], max_bytes: int, max_side: int) -> CleanImage:
    """Return the image as a network takes it: one of `formats`, at most `max_bytes`
    and `max_side` pixels on its longest side, without metadata. Raises ImageRefused
    when even the smallest JPEG Chorus makes is too heavy."""
    image = _open(data)
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    preferred = str(image.format or "PNG") if image.format in formats else ""
    if not preferred:
        preferred = "PNG" if _has_alpha(image) and "PNG" in formats else "JPEG"
    if preferred not in formats:
        raise ImageRefused(_("The network takes none of the formats Chorus can make."))
    candidate = _encode(image, preferred, QUALITIES[0])
    if len(candidate.data) <= max_bytes:
        return candidate
    if "JPEG" not in formats:
        raise ImageRefused(
            _("The image is over the network's limit of %(size)s kB.") % {"size": max_bytes // 1000}
        )
    # Lower qualities first, then smaller sizes: a photo usually fits after one or two steps.
    current = image
    for _step in range(4):
        for quality in QUALITIES:
            candidate = _encode(current, "JPEG", quality)
            if len(candidate.data) <= max_bytes:
                return candidate
        current = current.copy()
        current.thumbnail(
            (int(current.width * 0.7), int(current.height * 0.7)), Image.Resampling.LANCZOS
        )
    raise ImageRefused(
        _("The image cannot be made smaller than the network's limit of %(size)s kB.")
        % {"size": max_bytes // 1000}
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, image_format: str, quality: int) -> CleanImage:
    """Encode the pixels alone: nothing of the source's metadata is passed on."""
    if image_format == "JPEG":
        pixels = image.convert("RGB") if image.mode != "RGB" else image
        options: dict[str, object] = {"quality": quality, "optimize": True}
    elif image_format == "PNG":
        pixels = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGBA")
        options = {"optimize": True}
    elif image_format == "WEBP":
        pixels = image.convert("RGBA") if _has_alpha(image) else image.convert("RGB")
        options = {"quality": quality}
    else:
        pixels = image.convert("P") if image.mode not in ("P", "L") else image
        options = {}
    # A fresh image holds pixels only: no EXIF, XMP, ICC or comment can follow.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    if pixels.mode == "P":
        bare.putpalette(pixels.getpalette() or [])
        if "transparency" in pixels.info:
            options["transparency"] = pixels.info["transparency"]
    output = io.BytesIO()
    bare.save(output, format=image_format, **options)
    return CleanImage(output.getvalue(), image_format, bare.width, bare.height)
