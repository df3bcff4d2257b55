"""HTTP of fulfilment (the gateway is the only caller): parse, call a flow, answer.

Buyer calls filter by the gateway's X-User-Id and merchant calls by X-Merchant-Id, so another buyer's
address or another merchant's order is simply not found (404: its existence is not revealed)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import Field

from services.fulfilment import domain, flows, store
from services.fulfilment.deps import deps_of
from services.fulfilment.settings import FulfilmentSettings
from shared.db import Tx
from shared.http import NotFound, StrictModel, current_merchant, current_user, idempotent, json_response, parse_body
from shared.kuaidi100 import PUSH_RECEIVED, signature_ok
from shared.logging import get_logger
from shared.refusal import Refusal
from shared.service import DB, SETTINGS

routes = web.RouteTableDef()
log = get_logger("fulfilment", component="logistics_notify")


class AddressBody(StrictModel):
    """The address's fields, or `alipay_address` as `my.getAddress` returned it (its fields are mapped)."""

    name: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=20)
    province: str = Field(default="", max_length=30)
    city: str = Field(default="", max_length=30)
    district: str = Field(default="", max_length=30)
    detail: str = Field(default="", max_length=200)
    region_code: str = Field(default="", max_length=12)
    is_default: bool | None = None
    alipay_address: dict[str, str | None] | None = Field(default=None, max_length=20)

    def fields(self) -> dict[str, Any]:
        if self.alipay_address is not None:
            return domain.from_alipay(self.alipay_address)
        return self.model_dump(exclude={"is_default", "alipay_address"})


def settings_of(request: web.Request) -> FulfilmentSettings:
    settings = request.app[SETTINGS]
    assert isinstance(settings, FulfilmentSettings)
    return settings


@routes.get("/me/addresses")
async def list_addresses(request: web.Request) -> web.Response:
    user_id = current_user(request)
    items = await store.list_addresses(request.app[DB].pool, user_id)
    return json_response({"items": items})


@routes.post("/me/addresses")
async def add_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, AddressBody)
    limit = settings_of(request).max_addresses_per_buyer

    async def work(tx: Tx) -> tuple[int, Any]:
        return 201, await flows.add_address(tx, user_id, body.fields(), bool(body.is_default), limit)

    return await idempotent(request, request.app[DB], f"addresses:{user_id}", body.model_dump(mode="json"), work)


@routes.put("/me/addresses/{address_id}")
async def change_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, AddressBody)
    async with request.app[DB].transaction() as tx:
        changed = await flows.change_address(tx, user_id, request.match_info["address_id"], body.fields(),
                                             body.is_default)
    return json_response(changed)


@routes.delete("/me/addresses/{address_id}")
async def remove_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    async with request.app[DB].transaction() as tx:
        await flows.remove_address(tx, user_id, request.match_info["address_id"])
    return web.Response(status=204)


# --- freight: checkout asks, merchants set their template -------------------------------------------------------

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


OptionalId = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class Choice(StrictModel):
    method: Literal["express", "pickup"]
    address_id: str | None = OptionalId
    store_id: str | None = OptionalId


class QuoteLine(StrictModel):
    sku_id: str = Id
    qty: int = Field(ge=1, le=10_000)


class QuoteBody(StrictModel):
    merchant_id: str = Id
    goods_fen: int = Field(ge=0, le=10_000_000_000)
    lines: list[QuoteLine] = Field(min_length=1, max_length=50)
    delivery: Choice | None = None


@routes.post("/delivery/quote")
async def quote(request: web.Request) -> web.Response:
    """The delivery options and, for the buyer's choice, its freight and the snapshot orders keeps."""
    user_id = current_user(request)
    body = await parse_body(request, QuoteBody)
    choice = body.delivery.model_dump() if body.delivery else None
    async with request.app[DB].pool.acquire() as conn:
        parcels = await flows.parcels_of(conn, body.merchant_id, [(ln.sku_id, ln.qty) for ln in body.lines])
        answer = await flows.quote(conn, user_id, body.merchant_id, parcels, body.goods_fen, choice)
    return json_response(answer)


class RuleBody(StrictModel):
    provinces: list[str] = Field(min_length=1, max_length=40)
    first_units: int = Field(ge=1, le=1000)
    first_fen: int = Field(ge=0, le=10_000_000)
    extra_units: int = Field(ge=1, le=1000)
    extra_fen: int = Field(ge=0, le=10_000_000)


class TemplateBody(StrictModel):
    """Provinces are the first two digits of their GB/T 2260 codes ("33" Zhejiang); those in no rule are not
    delivered to."""

    basis: Literal["piece", "weight"] = "piece"
    free_above_fen: int | None = Field(default=None, ge=0, le=10_000_000_000)
    default_item_weight_g: int = Field(default=500, ge=1, le=1_000_000)
    rules: list[RuleBody] = Field(min_length=1, max_length=40)


@routes.get("/merchant/freight-template")
async def get_template(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    found = await store.get_template(request.app[DB].pool, merchant_id)
    if found is None:
        raise NotFound("No freight template: the merchant does not deliver by express yet",
                       code="freight_template_not_found")
    return json_response(found)


@routes.put("/merchant/freight-template")
async def put_template(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, TemplateBody)
    async with request.app[DB].transaction() as tx:
        saved = await flows.set_template(tx, merchant_id, body.basis, body.free_above_fen, body.default_item_weight_g,
                                         [r.model_dump() for r in body.rules])
    return json_response(saved)


@routes.get("/merchant/pickup-stores")
async def pickup_stores(request: web.Request) -> web.Response:
    """Every active store of the merchant with its pickup settings (`pickup_enabled` says which offer it)."""
    merchant_id = current_merchant(request)
    return json_response({"items": await store.merchant_stores(request.app[DB].pool, merchant_id)})


class PickupSettingsBody(StrictModel):
    """`product_ids`: the products the store hands over; null (the default) for all of the merchant's."""

    pickup_enabled: bool = True
    open_hours: str = Field(default="09:00-21:00", max_length=11)
    product_ids: list[Annotated[str, Id]] | None = Field(default=None, max_length=500)


@routes.put("/merchant/pickup-stores/{store_id}")
async def put_pickup_settings(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, PickupSettingsBody)
    async with request.app[DB].transaction() as tx:
        saved = await flows.set_pickup_settings(tx, merchant_id, request.match_info["store_id"], body.pickup_enabled,
                                                body.open_hours, body.product_ids)
    return json_response(saved)


# --- an order's delivery and pickup ------------------------------------------------------------------------------

@routes.get("/orders/{order_id}/delivery")
async def order_delivery(request: web.Request) -> web.Response:
    """The buyer's view of one order's delivery (the gateway adds `pickup` to the order from it)."""
    user_id = current_user(request)
    found = await store.user_delivery(request.app[DB].pool, user_id, request.match_info["order_id"])
    if found is None:
        raise NotFound("This order has no delivery here", code="delivery_not_found")
    return json_response({"method": found["method"], "state": found["state"], "store_id": found["store_id"],
                          "pickup": flows.pickup_view(found), "shipment": flows.shipment_view(found)})


@routes.get("/orders/{order_id}/tracking")
async def tracking(request: web.Request) -> web.Response:
    """Newest first. Only what the mall itself knows until the logistics client pushes carriers' updates."""
    user_id = current_user(request)
    db = request.app[DB].pool
    found = await store.user_delivery(db, user_id, request.match_info["order_id"])
    if found is None or found["carrier"] is None:
        raise NotFound("This order has not been shipped with a tracking number", code="tracking_not_found")
    events = await store.tracking_events(db, found["order_id"])
    state = await store.tracking_state(db, found["order_id"])  # the carrier's, once 快递100 pushed one
    return json_response({"carrier": found["carrier"], "tracking_no": found["tracking_no"],
                          "state": state or "shipped",
                          "events": [{"at": e["at"], "text": e["text"]} for e in events]})


def _push_answer(ok: bool, message: str, status: int = 200) -> web.Response:
    body = PUSH_RECEIVED if ok else {"result": False, "returnCode": str(status), "message": message}
    return web.Response(text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


@routes.post("/logistics/notify")
async def logistics_notify(request: web.Request) -> web.Response:
    """快递100's push, as the gateway received it: `param` signed with MD5(param + salt). A bad or missing
    signature changes nothing (400, result false); a verified push is applied once (its lines are kept once
    however often it comes) and answered exactly as 快递100 expects."""
    deps = deps_of(request.app)
    form = parse_form(await request.read())
    param, sign = (form or {}).get("param"), (form or {}).get("sign")
    if not param or not sign or not signature_ok(param, sign, deps.settings.kuaidi100_salt):
        log.warning("push rejected", reason="bad_signature" if param and sign else "unreadable")
        return _push_answer(False, "签名错误", 400)
    try:
        push = domain.tracking_push(param)
    except Refusal:
        log.warning("push rejected", reason="unreadable_param")
        return _push_answer(False, "param 无法解析", 400)
    async with deps.db.transaction() as tx:
        added = await flows.apply_push(tx, push)
    log.info("push applied", carrier=push.carrier, tracking_no=push.tracking_no, state=push.state, lines_added=added)
    return _push_answer(True, "成功")


def parse_form(raw: bytes) -> dict[str, str] | None:
    """The push as posted (x-www-form-urlencoded); a repeated field is not something 快递100 sends."""
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    params = dict(pairs)
    return params if len(params) == len(pairs) else None


class WaybillBody(StrictModel):
    carrier: str = Field(min_length=1, max_length=32)
    tracking_no: str = Field(min_length=1, max_length=40)


@routes.post("/merchant/orders/{order_id}/shipment-check")
async def check_shipment(request: web.Request) -> web.Response:
    """The gateway asks before orders ships: answers the normalised waybill or refuses (nothing is written)."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, WaybillBody)
    answer = await flows.check_shipment(request.app[DB].pool, merchant_id, request.match_info["order_id"],
                                        body.carrier, body.tracking_no)
    return json_response(answer)


@routes.post("/merchant/orders/{order_id}/ready")
async def mark_ready(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    async with request.app[DB].transaction() as tx:
        return json_response(await flows.mark_ready(tx, merchant_id, request.match_info["order_id"]))


class VerifyBody(StrictModel):
    """The code as typed, or the QR text as scanned (`mpmall:pickup:<code>`)."""

    code: str = Field(min_length=1, max_length=40)
    store_id: str = Id


@routes.post("/merchant/pickups/verify")
async def verify_pickup(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, VerifyBody)
    code = body.code.strip().removeprefix(domain.QR_PREFIX)
    settings, db = settings_of(request), request.app[DB]
    counter = f"{merchant_id}/{body.store_id}"
    await flows.check_guessing(db.pool, counter, settings.pickup_misses_per_window,
                               settings.pickup_miss_window_seconds)
    try:
        async with db.transaction() as tx:
            return json_response(await flows.verify_pickup(tx, merchant_id, body.store_id, code))
    except Refusal as refused:
        if refused.code == "pickup_not_found":  # counted apart: the refusal rolled its own transaction back
            async with db.transaction() as tx:
                await store.add_pickup_miss(tx.conn, counter, settings.pickup_miss_window_seconds)
        raise
