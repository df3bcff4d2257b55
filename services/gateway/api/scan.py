"""The scan resolver: what a scanned code means (a store's claim code, a mini-program page, a product)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from aiohttp import web

from services.gateway.models import ScanBody, ScanOut
from services.gateway.routes import Call, Operation, merchant_in_answer
from services.gateway.upstream import path
from shared.http import json_response

STORE_CODE_PREFIX = "MPSC."


@dataclass(frozen=True)
class Scanned:
    kind: str  # "store_code", "page", "barcode", "unknown"
    target: dict[str, str] = field(default_factory=dict)


def ean13_valid(code: str) -> bool:
    """EAN-13: weights 1,3,1,3... from the left over 12 digits; check = (10 - sum mod 10) mod 10."""
    if len(code) != 13 or not code.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


def _page_of(url: str, depth: int = 0) -> dict[str, str] | None:
    """A mini-program page in `alipays://platformapi/startapp?appId=..&page=..` or a QR link wrapping it."""
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "alipays" and params.get("page"):
        target = {"page": params["page"]}
        if params.get("appId"):
            target["app_id"] = params["appId"]
        if params.get("query"):
            target["query"] = params["query"]
        return target
    if parts.scheme in ("http", "https") and depth < 2:
        if params.get("scheme"):
            return _page_of(unquote(params["scheme"]), depth + 1)
        if params.get("page"):
            target = {"page": params["page"]}
            if params.get("appId"):
                target["app_id"] = params["appId"]
            return target
    return None


def classify(code: str) -> Scanned:
    code = code.strip()
    if code.startswith(STORE_CODE_PREFIX) and len(code) > len(STORE_CODE_PREFIX):
        return Scanned("store_code", {"code": code})
    page = _page_of(code)
    if page is not None:
        return Scanned("page", page)
    if ean13_valid(code):
        return Scanned("barcode", {"barcode": code})
    return Scanned("unknown", {"code": code})


async def scan(call: Call) -> web.StreamResponse:
    body: ScanBody = call.body
    scanned = classify(body.code)
    if scanned.kind == "store_code":
        coupon = await call.up.json(call.request, "marketing", "POST", "/store-codes/claim",
                                    json={"code": scanned.target["code"]})
        return json_response({"kind": "store_coupon", "target": coupon})
    if scanned.kind == "barcode":
        reply = await call.up.call(call.request, "catalog", "GET",
                                   path("/barcodes/{code}", code=scanned.target["barcode"]))
        if reply.status == 404:
            return json_response({"kind": "unknown", "target": {"code": scanned.target["barcode"]}})
        return json_response({"kind": "product", "target": reply.json()})
    return json_response({"kind": scanned.kind, "target": scanned.target})


_STORE_COUPON_MERCHANT = merchant_in_answer("target", "merchant_id")
_PRODUCT_MERCHANT = merchant_in_answer("target", "product", "merchant_id")


def scanned_merchant(call: Call, response: web.StreamResponse) -> str | None:
    """A store's claim code or a product's barcode is a visit to that merchant; a page code is not."""
    return _STORE_COUPON_MERCHANT(call, response) or _PRODUCT_MERCHANT(call, response)


OPERATIONS = [
    Operation("POST", "/api/scan", scan, "Resolve a scanned QR code or barcode", "browse",
              body=ScanBody, answer=ScanOut, visit_merchant=scanned_merchant),
]
