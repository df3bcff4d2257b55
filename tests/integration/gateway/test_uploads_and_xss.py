"""Product images through the real gateway (object store on local disk): recognised from the bytes, re-encoded
without metadata, served immutable at content-hashed URLs; wrong types and big uploads refused. And text that
looks like HTML stays text: stored as given, answered as JSON, never as a page."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from PIL import Image, PngImagePlugin

from tests.integration.gateway.conftest import Mall

SECRET_PLACE = b"GPS 30.2577N 120.1664E"


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9286] = SECRET_PLACE.decode()  # UserComment
    out = io.BytesIO()
    Image.new("RGB", (3000, 1500), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes(), comment=b"hello")
    return out.getvalue()


def png_with_script() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"<html><script>alert(2)</script></html>"  # a polyglot's trailing payload


async def upload(mall: Mall, data: Any, content_type: str = "image/jpeg", **headers: str) -> Any:
    return await mall.gateway.post("/api/merchant/images", data=data,
                                   headers={**mall.staff(), "Content-Type": content_type, **headers})


async def test_an_image_is_re_encoded_without_metadata_and_served_for_ever(mall: Mall) -> None:
    resp = await upload(mall, jpeg_with_exif(), "application/octet-stream")  # the declared type is not trusted
    assert resp.status == 201, await resp.text()
    stored = await resp.json()
    assert (stored["content_type"], stored["width"], stored["height"]) == ("image/jpeg", 2000, 1000)  # scaled down
    assert stored["url"] == f"{mall.settings.public_url}/api/images/{stored['name']}"

    served = await mall.gateway.get(f"/api/images/{stored['name']}")  # no token: product pages show it
    body = await served.read()
    assert served.status == 200 and served.content_type == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert SECRET_PLACE not in body and b"SecretCam" not in body and b"hello" not in body
    assert not Image.open(io.BytesIO(body)).getexif()

    again = await (await upload(mall, jpeg_with_exif())).json()
    assert again["name"] == stored["name"]  # the same image, the same URL

    png = await upload(mall, png_with_script(), "image/png")
    assert png.status == 201, await png.text()
    body = await (await mall.gateway.get(f"/api/images/{(await png.json())['name']}")).read()
    assert b"script" not in body and b"<html" not in body

    missing = await mall.gateway.get(f"/api/images/{'0' * 40}.jpg")
    assert (missing.status, (await missing.json())["code"]) == (404, "image_not_found")


async def test_wrong_types_and_big_uploads_are_refused(mall: Mall) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    for data, declared in [(svg, "image/svg+xml"), (b"<html><script>alert(1)</script></html>", "image/jpeg"),
                           (b"%PDF-1.7\n" + b"0" * 1000, "image/png"), (jpeg_with_exif()[:2000], "image/jpeg"),
                           (b"", "image/jpeg")]:
        resp = await upload(mall, data, declared)
        assert (resp.status, (await resp.json())["code"]) == (415, "not_an_image"), declared

    six_mb = b"\xff\xd8\xff" + b"0" * (6 * 1024 * 1024)
    resp = await upload(mall, six_mb)  # declared length: refused before the body is read
    assert (resp.status, (await resp.json())["code"]) == (413, "image_too_large")

    sent = 0

    async def fifty_mb() -> AsyncIterator[bytes]:  # chunked, no declared length
        nonlocal sent
        for _ in range(50 * 16):
            sent += 64 * 1024
            yield b"\0" * (64 * 1024)

    started = time.monotonic()
    resp = await upload(mall, fifty_mb())
    assert (resp.status, (await resp.json())["code"]) == (413, "image_too_large")
    assert sent < 20 * 1024 * 1024  # answered once past 5 MB: the rest was never read (nor sent)
    assert time.monotonic() - started < 10

    buyer = await mall.gateway.post("/api/merchant/images", data=jpeg_with_exif(),
                                    headers={**mall.user(), "Content-Type": "image/jpeg"})
    assert buyer.status == 403  # buyers upload nothing
    nobody = await mall.gateway.post("/api/merchant/images", data=jpeg_with_exif(),
                                     headers={"Content-Type": "image/jpeg"})
    assert nobody.status == 401


XSS_NAME = '<script>alert("name")</script>蓝牙耳机'
XSS_DESCRIPTION = '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">看这里</a>'


async def test_html_in_product_text_is_stored_as_text_and_answered_as_json(mall: Mall) -> None:
    gw, staff = mall.gateway, mall.staff()
    assert (await gw.put("/api/merchant/profile", json={"name": "<b>店</b>"}, headers=staff)).status == 200
    resp = await gw.post("/api/merchant/products", headers={**staff, "Idempotency-Key": uuid.uuid4().hex},
                         json={"name": XSS_NAME, "description": XSS_DESCRIPTION,
                               "skus": [{"price_fen": 100, "stock": 1, "specs": {"<i>色</i>": "<u>红</u>"}}]})
    assert resp.status == 201, await resp.text()
    product_id = (await resp.json())["id"]

    answers = [await gw.get(f"/api/merchant/products/{product_id}", headers=staff),
               await gw.get(f"/api/products/{product_id}", headers=mall.user()),
               await gw.get("/api/merchant/products", headers=staff),
               await gw.get("/api/search?q=蓝牙耳机", headers=mall.user())]
    for resp in answers:
        assert resp.status == 200 and resp.content_type == "application/json", resp.content_type
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    mine, public = await answers[0].json(), await answers[1].json()
    assert (mine["name"], mine["description"]) == (XSS_NAME, XSS_DESCRIPTION)  # exactly the text, as data
    assert public["name"] == XSS_NAME and public["skus"][0]["specs"] == {"<i>色</i>": "<u>红</u>"}

    for image in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/x.jpg",
                  'https://x.example/a.jpg" onerror="alert(1)'):
        resp = await gw.put(f"/api/merchant/products/{product_id}", headers=staff, json={
            "name": "x", "image": image, "skus": [{"price_fen": 100}]})
        assert resp.status == 422, image
    uploaded = await (await upload(mall, jpeg_with_exif())).json()
    resp = await gw.put(f"/api/merchant/products/{product_id}", headers=staff, json={
        "name": XSS_NAME, "image": uploaded["url"], "skus": [{"price_fen": 100}]})
    assert resp.status == 200, await resp.text()
    public = await (await gw.get(f"/api/products/{product_id}", headers=mall.user())).json()
    assert public["image"] == uploaded["url"]  # the product answer carries the image's URL

    refused = await gw.get("/api/products/%3Cscript%3E", headers=mall.user())  # problems too are JSON
    assert refused.content_type == "application/problem+json"
    assert "<script" not in await refused.text()
