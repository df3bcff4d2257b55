"""The merchant-staff API (the console, through the gateway): profile, stores, products, SKUs, prices, stock.

Every call is scoped to `current_merchant(request)`: a merchant only ever sees and changes its own things.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import Field

from services.catalog.api.buyer import Model, Page, path_id, store_view
from services.catalog.domain import normalise_query
from services.catalog.flows import catalogue as commands
from services.catalog.flows.catalogue import ProductDraft, SkuDraft
from services.catalog.store import catalogue, search
from shared.db import Tx
from shared.http import NotFound, Unprocessable, current_merchant, idempotent, json_response, parse_body, parse_query
from shared.money import MIN_PAYABLE_FEN  # a free SKU makes a 0-fen order, which no payment method can take
from shared.service import DB

routes = web.RouteTableDef()
MAX_FEN = 100_000_000_00  # Alipay's ceiling: 100 million yuan
MAX_WEIGHT_G = 1_000_000  # 1 tonne: a parcel, not a container
Specs = dict[str, str]


class ProfileBody(Model):
    name: str = Field(min_length=1, max_length=100)


class StoreBody(Model):
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=300)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    active: bool = True


class SkuBody(Model):
    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    specs: Specs = Field(default_factory=dict, max_length=10)
    price_fen: int = Field(ge=MIN_PAYABLE_FEN, le=MAX_FEN)
    deposit_fen: int = Field(0, ge=0, le=MAX_FEN)  # rentable SKUs: held or waived (Sesame) at payment
    barcode: str | None = Field(None, max_length=13)
    sellable: bool = True
    stock: int = Field(0, ge=0, le=10_000_000)
    weight_g: int | None = Field(None, ge=1, le=MAX_WEIGHT_G)  # shipping weight: freight by weight counts it

    def draft(self) -> SkuDraft:
        values: dict[str, Any] = {"specs": self.specs, "price_fen": self.price_fen, "stock": self.stock,
                                  "barcode": self.barcode, "deposit_fen": self.deposit_fen,
                                  "sellable": self.sellable, "weight_g": self.weight_g}
        if self.id:
            values["id"] = self.id
        return SkuDraft(**values)


class ProductBody(Model):
    name: str = Field(min_length=1, max_length=100)
    category_id: str | None = Field(None, max_length=64)
    brand: str = Field("", max_length=50)
    description: str = Field("", max_length=5000)
    # An uploaded image's URL (or any http(s) URL, or a path on the mall): never `javascript:` or `data:`.
    image: str = Field("", max_length=500, pattern=r"^(https?://[^\s<>\"']+|/[^/\s<>\"'][^\s<>\"']*)?$")
    active: bool = True
    store_ids: list[str] = Field(default_factory=list, max_length=100)
    skus: list[SkuBody] = Field(min_length=1, max_length=50)


class SkuPatch(Model):
    price_fen: int | None = Field(None, ge=MIN_PAYABLE_FEN, le=MAX_FEN)
    deposit_fen: int | None = Field(None, ge=0, le=MAX_FEN)
    sellable: bool | None = None
    specs: Specs | None = Field(None, max_length=10)
    weight_g: int | None = Field(None, ge=1, le=MAX_WEIGHT_G)


class StockBody(Model):
    delta: int = Field(ge=-10_000_000, le=10_000_000)


def merchant_sku(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "product_id": row["product_id"], "specs": row["specs"], "price_fen": row["price_fen"],
            "deposit_fen": row["deposit_fen"], "barcode": row["barcode"], "sellable": row["sellable"],
            "available": row["available"], "reserved": row["reserved"], "sold": row["sold"],
            "revision": row["revision"], "weight_g": row["weight_g"]}


async def merchant_product(tx: Tx, merchant_id: str, product_id: str) -> dict[str, Any]:
    product = await commands.owned_product(tx, merchant_id, product_id)
    skus = await catalogue.product_skus(tx.conn, product_id)
    return {"id": product["id"], "name": product["name"], "merchant_id": product["merchant_id"],
            "category_id": product["category_id"], "brand": product["brand"],
            "description": product["description"], "image": product["image"], "active": product["active"],
            "sold": product["sold"], "store_ids": list(product["store_ids"]), "skus": [merchant_sku(s) for s in skus]}


def _draft(merchant_id: str, body: ProductBody, product_id: str | None = None) -> ProductDraft:
    values: dict[str, Any] = {
        "merchant_id": merchant_id, "name": body.name, "category_id": body.category_id, "brand": body.brand,
        "description": body.description, "image": body.image, "active": body.active, "store_ids": body.store_ids,
        "skus": [s.draft() for s in body.skus]}
    if product_id:
        values["id"] = product_id
    return ProductDraft(**values)


@routes.put("/merchant/profile")
async def put_profile(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, ProfileBody)
    async with request.app[DB].transaction() as tx:
        await commands.save_merchant(tx, merchant_id, body.name)
    return json_response({"id": merchant_id, "name": body.name})


@routes.put("/merchant/stores/{store_id}")
async def put_store(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, StoreBody)
    async with request.app[DB].transaction() as tx:
        row = await commands.save_store(tx, path_id(request, "store_id", "store_not_found"), merchant_id, body.name,
                                        body.address, body.lat, body.lng, body.active)
    return json_response(store_view(row))


@routes.get("/merchant/stores")
async def list_stores(request: web.Request) -> web.Response:
    rows = await catalogue.merchant_stores(request.app[DB], current_merchant(request))
    return json_response({"items": [{**store_view(r), "active": r["active"]} for r in rows]})


class ProductsQuery(Page):
    """The back office's product list: text (part of a name or id, or a SKU's barcode or id), category, on or off
    sale, and low stock (a SKU on sale with at most this many available)."""

    q: str | None = Field(None, min_length=1, max_length=100)
    category_id: str | None = Field(None, min_length=1, max_length=64)
    active: bool | None = None
    low_stock: int | None = Field(None, ge=0, le=10_000_000)


@routes.get("/merchant/products")
async def list_products(request: web.Request) -> web.Response:
    query = parse_query(request, ProductsQuery)
    rows = await catalogue.merchant_products(request.app[DB], current_merchant(request), query.q and query.q.strip(),
                                             query.category_id, query.active, query.low_stock, query.page_size,
                                             query.offset)
    return json_response({"items": [{"id": r["id"], "name": r["name"], "image": r["image"], "sold": r["sold"],
                                     "active": r["active"], "category_id": r["category_id"],
                                     "available": r["available"]} for r in rows],
                          "total": rows[0]["total"] if rows else 0})


@routes.get("/merchant/products/{product_id}")
async def get_product(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    product_id = path_id(request, "product_id", "product_not_found")
    async with request.app[DB].transaction() as tx:
        return json_response(await merchant_product(tx, merchant_id, product_id))


@routes.post("/merchant/products")
async def create_product(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, ProductBody)

    async def work(tx: Tx) -> tuple[int, Any]:
        draft = _draft(merchant_id, body)
        await commands.save_product(tx, draft)
        return 201, await merchant_product(tx, merchant_id, draft.id)

    return await idempotent(request, request.app[DB], f"product:{merchant_id}",
                            body.model_dump(mode="json"), work)


@routes.put("/merchant/products/{product_id}")
async def replace_product(request: web.Request) -> web.Response:
    """Replace a product's fields and upsert its SKUs by id (stock of existing SKUs is not touched)."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, ProductBody)
    product_id = path_id(request, "product_id", "product_not_found")
    async with request.app[DB].transaction() as tx:
        await commands.owned_product(tx, merchant_id, product_id)
        await commands.save_product(tx, _draft(merchant_id, body, product_id))
        return json_response(await merchant_product(tx, merchant_id, product_id))


@routes.post("/merchant/products/{product_id}/skus")
async def create_sku(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, SkuBody)
    product_id = path_id(request, "product_id", "product_not_found")

    async def work(tx: Tx) -> tuple[int, Any]:
        return 201, merchant_sku(await commands.add_sku(tx, merchant_id, product_id, body.draft()))

    return await idempotent(request, request.app[DB], f"sku:{merchant_id}", body.model_dump(mode="json"),
                            work)


@routes.patch("/merchant/skus/{sku_id}")
async def patch_sku(request: web.Request) -> web.Response:
    """Set price, deposit, on/off sale or specs (absolute values, so a retry is harmless)."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, SkuPatch)
    sku_id = path_id(request, "sku_id", "sku_not_found")
    async with request.app[DB].transaction() as tx:
        row = await commands.change_sku(tx, merchant_id, sku_id, price_fen=body.price_fen,
                                        deposit_fen=body.deposit_fen, sellable=body.sellable, specs=body.specs,
                                        weight_g=body.weight_g)
    return json_response(merchant_sku(row))


@routes.post("/merchant/skus/{sku_id}/stock")
async def adjust_stock(request: web.Request) -> web.Response:
    """Add (delivery) or take away (shrinkage) available units; a relative change, so it needs a key."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, StockBody)
    sku_id = path_id(request, "sku_id", "sku_not_found")

    async def work(tx: Tx) -> tuple[int, Any]:
        return 200, merchant_sku(await commands.adjust_stock(tx, merchant_id, sku_id, body.delta))

    return await idempotent(request, request.app[DB], f"stock:{merchant_id}", body.model_dump(mode="json"),
                            work)



# --- blocked suggestion terms -------------------------------------------------------------------------


class BlockedTermBody(Model):
    term: str = Field(min_length=1, max_length=50)


def blocked_term_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "term": row["term"], "created_at": row["created_at"].isoformat()}


@routes.get("/merchant/blocked-terms")
async def list_blocked_terms(request: web.Request) -> web.Response:
    rows = await search.blocked_terms(request.app[DB], current_merchant(request))
    return json_response({"items": [blocked_term_view(r) for r in rows]})


@routes.post("/merchant/blocked-terms")
async def block_term(request: web.Request) -> web.Response:
    """Never suggest this term with the merchant's products (a set: blocking it again answers the same row)."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, BlockedTermBody)
    term = normalise_query(body.term)
    if not term:
        raise Unprocessable("The term is empty", code="validation_error",
                            errors=[{"field": "term", "message": "empty"}])
    async with request.app[DB].transaction() as tx:
        await commands.known_merchant(tx, merchant_id)
        row = await search.add_blocked_term(tx.conn, f"bt_{uuid.uuid4().hex[:16]}", merchant_id, term)
    return json_response(blocked_term_view(row), status=201)


@routes.delete("/merchant/blocked-terms/{term_id}")
async def unblock_term(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    term_id = path_id(request, "term_id", "blocked_term_not_found")
    if not await search.remove_blocked_term(request.app[DB], merchant_id, term_id):
        raise NotFound("No such blocked term", code="blocked_term_not_found")
    return web.Response(status=204)
