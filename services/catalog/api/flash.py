"""Flash sales (秒杀): merchants schedule and list theirs (buyers see them on the product and home pages), and
buyers are admitted to one before their order is placed (the gateway asks, then places the order)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from services.catalog.api.buyer import Model, Page, flash_view
from services.catalog.deps import deps_of
from services.catalog.domain import AdmissionRequest
from services.catalog.flows import flash as flows
from services.catalog.store import flash as store
from shared.db import Tx
from shared.http import (
    current_merchant,
    current_user,
    idempotency_key,
    idempotent,
    json_response,
    parse_body,
    parse_query,
    path_id,
)
from shared.http.models import Moment
from shared.money import MIN_PAYABLE_FEN

routes = web.RouteTableDef()


class FlashSaleBody(Model):
    sku_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    price_fen: int = Field(ge=MIN_PAYABLE_FEN, le=100_000_000_00)
    quantity: int = Field(ge=1, le=1_000_000)
    per_buyer_limit: int = Field(1, ge=1, le=1000)
    starts_at: Moment
    ends_at: Moment


class AdmissionBody(Model):
    sku_id: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=1000)


@routes.post("/flash-sales/{sale_id}/admissions")
async def admit(request: web.Request) -> web.Response:
    """Admit the buyer to the sale for `qty` units, decided in a batch with whoever else asks at the same moment.
    The buyer's Idempotency-Key (of the order placement) names the request: a retry gets the same admission.
    The order that names the admission takes its units; one that never comes gives them back to the sale
    after MALL_FLASH_ADMISSION_HOLD_SECONDS."""
    user_id, key = current_user(request), idempotency_key(request)
    assert key is not None
    sale_id = path_id(request, "sale_id", code="flash_sale_unknown", detail="No such flash sale")
    body = await parse_body(request, AdmissionBody)
    admission_id = await deps_of(request.app).admitter.admit(
        sale_id, AdmissionRequest(key=key, user_id=user_id, sku_id=body.sku_id, qty=body.qty))
    return json_response({"admission_id": admission_id, "sale_id": sale_id, "sku_id": body.sku_id,
                          "qty": body.qty}, status=201)


@routes.delete("/flash-sales/{sale_id}/admissions/{admission_id}")
async def release_admission(request: web.Request) -> web.Response:
    """The gateway's placement with this admission was refused by orders: its units go back to the sale now.
    204 also when it was released already (a retry)."""
    user_id = current_user(request)
    sale_id = path_id(request, "sale_id", code="flash_admission_not_found", detail="No such admission of yours")
    admission_id = path_id(request, "admission_id", code="flash_admission_not_found",
                           detail="No such admission of yours")
    async with deps_of(request.app).db.transaction() as tx:
        await flows.release_admission(tx, admission_id, sale_id, user_id)
    return web.Response(status=204)


@routes.post("/merchant/flash-sales")
async def schedule(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, FlashSaleBody)
    deps = deps_of(request.app)

    async def work(tx: Tx) -> tuple[int, Any]:
        now = deps.clock.now()
        sale_id = await flows.schedule(tx, merchant_id, sku_id=body.sku_id, price_fen=body.price_fen,
                                       quantity=body.quantity, per_buyer_limit=body.per_buyer_limit,
                                       starts_at=body.starts_at, ends_at=body.ends_at, now=now)
        row = await store.sale(tx.conn, sale_id)
        assert row is not None
        return 201, flash_view(row, now)

    return await idempotent(request, deps.db, f"flash:{merchant_id}", body.model_dump(mode="json"), work)


@routes.get("/merchant/flash-sales")
async def merchant_sales(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    page = parse_query(request, Page)
    deps = deps_of(request.app)
    rows = await store.merchant_sales(deps.db, merchant_id, page.page_size, page.offset)
    now = deps.clock.now()
    return json_response({"items": [flash_view(r, now) for r in rows]})
