"""Product images: staff upload one (checked from its bytes, re-encoded, stored under its content hash through
the object store) and get its URL for a product's `image`; anyone fetches it, cached for a year (the URL of a
different image is a different URL)."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from services.gateway.domain.images import CONTENT_TYPES, MAX_UPLOAD_BYTES, clean_image, too_large
from services.gateway.models import Answer
from services.gateway.routes import Call, Handler, Operation
from services.gateway.settings import GatewaySettings
from shared.http import NotFound, json_response

IMAGE_NAME = re.compile(r"^[0-9a-f]{40}\.(jpg|png|webp)$")
CHUNK = 64 * 1024
FOR_EVER = {"Cache-Control": "public, max-age=31536000, immutable"}


class ImageOut(Answer):
    url: str
    name: str
    content_type: str
    width: int
    height: int


def image_url(settings: GatewaySettings, name: str) -> str:
    base = settings.image_base_url or f"{settings.public_url.rstrip('/')}/api/images/"
    return f"{base.rstrip('/')}/{name}"


async def read_upload(request: web.Request) -> bytes:
    """The body, read in chunks and abandoned as soon as it passes the limit (a chunked 50 MB upload is never
    held in memory; a declared one is refused before reading, in routes.refuse_oversize_body)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise too_large()
        parts.append(chunk)
    return b"".join(parts)


def upload_image(name: str) -> Handler:
    """An upload handler (staff for products, buyers for review photos: the same cleaning and store)."""

    async def handler(call: Call) -> web.StreamResponse:
        upload = await read_upload(call.request)
        image = await asyncio.to_thread(clean_image, upload)  # decoding and encoding are CPU work
        await call.deps.objects.put(f"images/{image.name}", image.data, image.content_type)
        return json_response({"url": image_url(call.settings, image.name), "name": image.name,
                              "content_type": image.content_type, "width": image.width, "height": image.height},
                             status=201)

    handler.__name__ = name
    return handler


async def image(call: Call) -> web.StreamResponse:
    name = call.param("name")
    found = await call.deps.objects.get(f"images/{name}") if IMAGE_NAME.match(name) else None
    if found is None:
        raise NotFound("No such image", code="image_not_found")
    return web.Response(body=found.data, content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]],
                        headers={**FOR_EVER, "ETag": f'"{name.split(".")[0]}"'})


OPERATIONS = [
    Operation("POST", "/api/merchant/images", upload_image("merchant_upload_image"),
              "Upload a product image (JPEG, PNG, WebP or GIF, at most 5 MB; the body is the file): re-encoded "
              "without metadata, its URL for a product's `image`", "merchant", auth="staff",
              raw_body="application/octet-stream", answer=ImageOut, status=201,
              max_body_bytes=MAX_UPLOAD_BYTES, too_large_code="image_too_large"),
    Operation("GET", "/api/images/{name}", image, "An uploaded image (immutable: cached for a year)", "browse",
              auth="none"),
]
