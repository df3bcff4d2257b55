"""What an uploaded product image becomes: recognised from its bytes (never its name or declared type),
decoded, bounded, and re-encoded from the pixels alone, so no script, metadata (EXIF: GPS, camera) or trailing
payload of the upload survives. The stored name is the hash of the result."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.refusal import Refusal

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb (a tiny file of a huge image) is refused before decoding
MAX_SIDE = 2000  # stored images are scaled down to this longest side
# Accepted formats, and what each is stored as (GIFs keep their first frame, as PNG).
STORED_AS = {"JPEG": ("JPEG", "jpg", "image/jpeg"), "PNG": ("PNG", "png", "image/png"),
             "WEBP": ("WEBP", "webp", "image/webp"), "GIF": ("PNG", "png", "image/png")}
CONTENT_TYPES = {ext: content_type for _, ext, content_type in STORED_AS.values()}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    name: str  # <sha256 of data, 160 bits in hex>.<ext> (within the path-id length)
    content_type: str
    width: int
    height: int


def not_an_image() -> Refusal:
    return Refusal("not_an_image", "The file is not a JPEG, PNG, WebP or GIF image", 415)


def too_large() -> Refusal:
    return Refusal("image_too_large", f"An image may have at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", 413,
                   max_bytes=MAX_UPLOAD_BYTES)


def clean_image(upload: bytes) -> CleanImage:
    if len(upload) > MAX_UPLOAD_BYTES:
        raise too_large()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(upload), formats=list(STORED_AS))
            if source.width * source.height > MAX_PIXELS:
                raise Refusal("image_dimensions", f"An image may have at most {MAX_PIXELS} pixels", 422)
            source.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise not_an_image() from exc
    encoder, ext, content_type = STORED_AS[str(source.format)]
    image = ImageOps.exif_transpose(source)  # keep the photo upright once its EXIF orientation is dropped
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if encoder == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    elif encoder != "JPEG" and image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.info = {}  # no ICC profile, EXIF, XMP or comments are written back
    out = io.BytesIO()
    image.save(out, encoder, **({"quality": 85, "optimize": True} if encoder == "JPEG" else {}))
    data = out.getvalue()
    return CleanImage(data, f"{hashlib.sha256(data).hexdigest()[:40]}.{ext}", content_type, image.width, image.height)
