"""HTTP handlers of orders (the gateway is the only caller): parse, call domain/store/flows, answer.

Every user-scoped query filters by the gateway's X-User-Id, so another user's order is simply not found
(404, never 403: its existence is not revealed). Merchant calls filter by X-Merchant-Id the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import asyncpg
from aiohttp import web
from pydantic import Field, model_validator

from services.orders import domain, flows, store
from services.orders.deps import deps_of
from services.orders.domain import Status
from services.orders.settings import OrdersSettings
from shared.db import Tx
from shared.events.common import Line
from shared.events.orders import Delivery, Entry, GroupBuyRef, OrderPlaced
from shared.http import (
    NotFound,
    StrictModel,
    current_merchant,
    current_user,
    idempotent,
    idempotent_answer,
    json_response,
    parse_body,
    parse_query,
)
from shared.money import COUNTER_AMOUNT_MAX_FEN, MIN_PAYABLE_FEN
from shared.refusal import Refusal
from shared.service import DB, SETTINGS

routes = web.RouteTableDef()

# --- bodies and queries -----------------------------------------------------------------------------

SkuId = Field(min_length=1, max_length=64)


class Item(StrictModel):
    sku_id: str = SkuId
    qty: int = Field(ge=1, le=domain.MAX_QTY)


class PriceBody(StrictModel):
    items: list[Item] = Field(min_length=1, max_length=50)


class CheckoutBody(PriceBody):
    # Buy at this flash sale's (秒杀) price: the order is then its SKU alone, inside the sale's window.
    flash_sale_id: str | None = Field(default=None, min_length=1, max_length=64)


class GroupBuyChoice(StrictModel):
    """Open a group of deal `deal_id`, or join group `group_id` (exactly one of them)."""

    deal_id: str | None = Field(default=None, min_length=1, max_length=64)
    group_id: str | None = Field(default=None, min_length=1, max_length=64)
    nickname: str = Field(default="", max_length=64)  # the buyer's, for the group page (the gateway adds it)

    @model_validator(mode="after")
    def one_of(self) -> GroupBuyChoice:
        if (self.deal_id is None) == (self.group_id is None):
            raise ValueError("name either deal_id (open a group) or group_id (join one)")
        return self


class PlaceBody(CheckoutBody):
    coupon_id: str | None = Field(default=None, min_length=1, max_length=64)
    points: int = Field(default=0, ge=0, le=100_000_000)
    entry: Entry = "other"
    delivery: Delivery | None = None  # as fulfilment quoted it; the gateway passes it on
    group_buy: GroupBuyChoice | None = None  # a group-buy (拼团) order: marketing seats it at the group price
    # With flash_sale_id: the buyer's admission to the sale, which the gateway asked catalog for; catalog holds
    # its units for this order (an order without one is refused by the saga: flash_not_admitted).
    flash_admission_id: str | None = Field(default=None, min_length=1, max_length=64)


class StoreSaleBody(StrictModel):
    """A sale rung up at a store's counter (当面付): the clerk's SKUs, or an amount without goods (到店消费), paid
    there and then by the buyer's payment code or face. No buyer account is known before Alipay names the payer."""

    store_id: str = Field(min_length=1, max_length=64)
    items: list[Item] | None = Field(default=None, min_length=1, max_length=50)
    amount_fen: int | None = Field(default=None, ge=MIN_PAYABLE_FEN, le=COUNTER_AMOUNT_MAX_FEN)

    @model_validator(mode="after")
    def one_of(self) -> StoreSaleBody:
        if (self.items is None) == (self.amount_fen is None):
            raise ValueError("name either items (SKUs) or amount_fen (an amount without goods)")
        return self


class RefundLine(StrictModel):
    line_id: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=domain.MAX_QTY)


class RefundBody(StrictModel):
    """Without `lines`: every unit still refundable. `with_return`: the goods go back before the money."""

    reason: str = Field(min_length=1, max_length=200)
    lines: list[RefundLine] | None = Field(default=None, min_length=1, max_length=50)
    with_return: bool = False


class MerchantRefundBody(StrictModel):
    """The merchant refunds on their own (say, out of stock after payment): no return, approved at once."""

    reason: str = Field(min_length=1, max_length=200)
    lines: list[RefundLine] | None = Field(default=None, min_length=1, max_length=50)


class ReturnShipmentBody(StrictModel):
    """The buyer's waybill of the goods sent back (快递100 company code and number)."""

    carrier: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    tracking_no: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")


class RejectBody(StrictModel):
    reason: str = Field(min_length=1, max_length=200)


class QtyBody(StrictModel):
    qty: int = Field(ge=1, le=domain.MAX_QTY)


class ListQuery(StrictModel):
    status: Status | None = None
    limit: int = Field(default=20, ge=1, le=100)


class MerchantListQuery(ListQuery):
    """The back office's filters: delivery method, placed in [created_from, created_before), part of the id."""

    delivery_method: Literal["express", "pickup"] | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    q: str | None = Field(default=None, min_length=1, max_length=64)
    page: int = Field(default=1, ge=1, le=1000)


class PlaceQuery(StrictModel):
    # The answer held until the saga decides, as GET /orders/{id}?wait_ms= holds it: the gateway places and
    # learns the decision in one round trip instead of two.
    wait_ms: int = Field(default=0, ge=0, le=60_000)


class GetQuery(StrictModel):
    wait_ms: int = Field(default=0, ge=0, le=60_000)
    wait_while: Literal[Status.PENDING, Status.AWAITING_PAYMENT] = Status.PENDING  # the status to wait out
    # "status": only the order's id and status, from the order's row alone (no lines or refunds read)
    fields: Literal["all", "status"] = "all"


def _settings(request: web.Request) -> OrdersSettings:
    return cast(OrdersSettings, request.app[SETTINGS])


# --- views ------------------------------------------------------------------------------------------


def refund_view(refund: asyncpg.Record, lines: list[asyncpg.Record]) -> dict[str, Any]:
    shipment = None
    if refund["return_carrier"]:
        shipment = {"carrier": refund["return_carrier"], "tracking_no": refund["return_tracking_no"],
                    "received_at": refund["return_received_at"]}
    return {
        "id": refund["refund_id"], "order_id": refund["order_id"], "status": refund["status"],
        "amount_fen": refund["amount_fen"], "points_fen": refund["points_fen"], "freight_fen": refund["freight_fen"],
        "lines": [{"line_id": ln["line_id"], "sku_id": ln["sku_id"], "name": ln["name"], "qty": ln["qty"],
                   "amount_fen": ln["cash_fen"], "points_fen": ln["points_fen"]} for ln in lines],
        "with_return": refund["with_return"], "requested_by": refund["requested_by"], "reason": refund["reason"],
        "reject_reason": refund["reject_reason"], "failure_reason": refund["failure_reason"],
        "timeout_reason": refund["timeout_reason"], "return_shipment": shipment, "due_at": refund["due_at"],
        "created_at": refund["created_at"], "decided_at": refund["decided_at"], "refunded_at": refund["refunded_at"],
    }


def order_view(order: asyncpg.Record, lines: list[asyncpg.Record], refunds: list[dict[str, Any]]) -> dict[str, Any]:
    payment = None
    if order["payment_id"]:
        payment = {"id": order["payment_id"], "method": order["payment_method"], "amount_fen": order["paid_fen"],
                   "paid_at": order["paid_at"]}
    # `refund`: the open one waiting longest, else the latest (clients from before partial refunds read it)
    waiting = [r for r in refunds if r["status"] in domain.OPEN_REFUND]
    shown = waiting[0] if waiting else refunds[-1] if refunds else None
    # Units refunded or being refunded per line: what is left is what a pickup counter hands over.
    taken: dict[str, int] = {}
    for refund in refunds:
        if refund["status"] in domain.LIVE_REFUND:
            for ln in refund["lines"]:
                taken[ln["line_id"]] = taken.get(ln["line_id"], 0) + ln["qty"]
    return {
        "id": order["id"], "status": order["status"], "user_id": order["user_id"],
        "merchant_id": order["merchant_id"], "entry": order["entry"], "subject": order["subject"],
        "lines": [{"id": ln["id"], "sku_id": ln["sku_id"], "product_id": ln["product_id"], "name": ln["name"],
                   "qty": ln["qty"], "unit_price_fen": ln["unit_price_fen"], "list_price_fen": ln["list_price_fen"],
                   "line_fen": ln["unit_price_fen"] * ln["qty"], "deposit_fen": ln["deposit_fen"],
                   "refunded_qty": taken.get(ln["id"], 0), "remaining_qty": ln["qty"] - taken.get(ln["id"], 0)}
                  for ln in lines],
        "subtotal_fen": order["subtotal_fen"], "discount_fen": order["discount_fen"],
        "points_fen": order["points_fen"], "payable_fen": order["payable_fen"], "deposit_fen": order["deposit_fen"],
        "coupon_id": order["coupon_id"], "points": order["points"], "payment": payment,
        "refund": shown, "refunds": refunds,
        "created_at": order["created_at"], "pay_by": order["pay_by"], "shipped_at": order["shipped_at"],
        "delivered_at": order["delivered_at"], "auto_confirm_at": order["auto_confirm_at"],
        "completed_at": order["completed_at"], "reason": order["reason"],
        "freight_fen": order["freight_fen"], "freight_off_fen": order["freight_off_fen"],
        "delivery": order["delivery"],
        "group_buy": {"group_id": order["group_id"], "state": order["group_state"]} if order["group_id"] else None,
    }


async def refund_views(conn: store.Conn, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    refunds = await store.refunds_of(conn, order_ids)
    refund_ids = [r["refund_id"] for rs in refunds.values() for r in rs]
    lines = await store.refund_lines_of(conn, refund_ids) if refund_ids else {}  # most orders have no refund
    return {oid: [refund_view(r, lines[r["refund_id"]]) for r in rs] for oid, rs in refunds.items()}


async def views(conn: store.Conn, orders: list[asyncpg.Record]) -> list[dict[str, Any]]:
    ids = [o["id"] for o in orders]
    lines, refunds = await store.lines_of(conn, ids), await refund_views(conn, ids)
    return [order_view(o, lines[o["id"]], refunds[o["id"]]) for o in orders]


async def fresh_view(conn: store.Conn, order_id: str) -> dict[str, Any]:
    order = await store.lock_order(conn, order_id)
    assert order is not None
    return (await views(conn, [order]))[0]


async def fresh_refund(conn: store.Conn, order_id: str, refund_id: str) -> dict[str, Any]:
    return next(r for r in (await refund_views(conn, [order_id]))[order_id] if r["id"] == refund_id)


# --- pricing and placement --------------------------------------------------------------------------


def priced_view(priced: domain.Priced) -> dict[str, Any]:
    return {"merchant_id": priced.merchant_id, "subtotal_fen": priced.subtotal_fen,
            "deposit_fen": priced.deposit_fen,
            "lines": [{"sku_id": ln.sku_id, "product_id": ln.product_id, "category_id": ln.category_id,
                       "name": ln.name, "qty": ln.qty,
                       "unit_price_fen": ln.unit_price_fen, "list_price_fen": ln.list_price_fen,
                       "flash_sale_id": ln.flash_sale_id, "line_fen": ln.line_fen, "deposit_fen": ln.deposit_fen}
                      for ln in priced.lines]}


async def price(conn: store.Conn, items: list[Item], user_id: str | None, flash_sale_id: str | None = None,
                now: datetime | None = None) -> domain.Priced:
    """Lines at the flash sale's price (with `flash_sale_id`, as of `now`) or else at the buyer's member prices
    (a walk-in buyer at the counter, None, has none): the preview and the order are priced by this one function."""
    skus = await store.skus_by_id(conn, {i.sku_id for i in items})
    priced = domain.price_items(((i.sku_id, i.qty) for i in items), skus)
    if flash_sale_id is not None:
        row = await store.flash_sale(conn, flash_sale_id)
        assert now is not None, "a flash sale is priced as of a time"
        return domain.with_flash_price(priced, domain.FlashSale(**row) if row else None, now)
    return priced if user_id is None else await flows.member_priced(conn, user_id, priced)


def goods_lines(priced: domain.Priced, flash_admission_id: str | None = None) -> list[Line]:
    """order.placed's lines: the goods. An amount rung up at the counter names no SKU, so catalog reserves
    (and later sells or restocks) nothing for it. A flash-sale line names the buyer's admission to the sale."""
    return [Line(sku_id=ln.sku_id, product_id=ln.product_id, qty=ln.qty, unit_price_fen=ln.unit_price_fen,
                 category_id=ln.category_id, name=ln.name, list_price_fen=ln.list_price_fen,
                 flash_sale_id=ln.flash_sale_id, flash_admission_id=flash_admission_id if ln.flash_sale_id else None)
            for ln in priced.lines if ln.sku_id is not None and ln.product_id is not None]


@routes.post("/checkout/price")
async def checkout_price(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, CheckoutBody)
    async with request.app[DB].pool.acquire() as conn:
        return json_response(priced_view(await price(conn, body.items, user_id, body.flash_sale_id,
                                                     deps_of(request.app).clock.now())))


@routes.post("/orders")
async def place_order(request: web.Request) -> web.Response:
    user_id = current_user(request)
    query = parse_query(request, PlaceQuery)
    body = await parse_body(request, PlaceBody)
    settings, clock = _settings(request), deps_of(request.app).clock

    if body.entry == "store_checkout":  # only a merchant's counter places those (POST /merchant/store-sales)
        raise Refusal("entry_not_allowed", "store_checkout orders are placed at a store's counter", 422)
    group = body.group_buy
    if group is not None:
        domain.check_group_order([(i.sku_id, i.qty) for i in body.items], body.coupon_id, body.points)
    if body.flash_sale_id is not None and (group is not None or body.coupon_id or body.points):
        raise Refusal("flash_sale_alone", "A flash-sale order takes no coupon, points or group buy", 422)

    async def work(tx: Tx) -> tuple[int, Any]:
        priced = await price(tx.conn, body.items, user_id, body.flash_sale_id, clock.now())
        await flows.check_unpaid_limit(tx, user_id, settings.max_unpaid_orders)
        order_id, now = str(uuid.uuid4()), clock.now()
        # An opener's order names the new group's id (shared from its order at once); marketing makes the group.
        group_id = None if group is None else group.group_id or f"gb_{uuid.uuid4().hex[:20]}"
        if group_id is not None and await store.in_group(tx.conn, user_id, group_id):  # under the buyer's lock
            raise domain.Refusal("already_in_group", "You are already in this group")
        pay_by = now + timedelta(seconds=settings.pay_timeout_seconds)
        await store.insert_order(
            tx.conn, order_id=order_id, user_id=user_id, priced=priced, entry=body.entry,
            coupon_id=body.coupon_id, points=body.points, subject=domain.subject([ln.name for ln in priced.lines]),
            promotion_status=domain.promotion_needed(body.coupon_id, body.points, group is not None), pay_by=pay_by,
            now=now, delivery=body.delivery.model_dump(mode="json") if body.delivery else None, group_id=group_id)
        await store.set_deadline(tx.conn, order_id, "pay_by", pay_by)  # also ends a saga that never answers
        goods = goods_lines(priced, body.flash_admission_id)
        await store.remove_from_cart(tx.conn, user_id, [ln.sku_id for ln in goods])
        await tx.emit(OrderPlaced(
            order_id=order_id, user_id=user_id, merchant_id=priced.merchant_id, subtotal_fen=priced.subtotal_fen,
            coupon_id=body.coupon_id, points=body.points, entry=body.entry, delivery=body.delivery,
            group_buy=None if group is None else GroupBuyRef(group_id=group_id or "", deal_id=group.deal_id,
                                                             nickname=group.nickname),
            lines=goods))
        return 201, {"id": order_id, "status": Status.PENDING.value, "payable_fen": None, "reason": None,
                     "group_buy": None if group_id is None else {"group_id": group_id, "state": "waiting"}}

    db = request.app[DB]
    status, placed = await idempotent_answer(request, db, f"order:{user_id}", body.model_dump(mode="json"), work)
    wait_ms = min(query.wait_ms, settings.max_wait_ms)
    if wait_ms > 0 and placed["status"] == Status.PENDING.value:  # a retried key waits for the same order
        order = await flows.wait_while_status(db, deps_of(request.app).changes, placed["id"], user_id,
                                              Status.PENDING, wait_ms / 1000)
        if order is not None:  # decided, or still PENDING when the wait is over
            placed = placement_view(order)
    return json_response(placed, status=status)


def placement_view(order: asyncpg.Record) -> dict[str, Any]:
    """What a placement answers, from the order's row: its id, status, payable amount, refusal and group."""
    return {"id": order["id"], "status": order["status"], "payable_fen": order["payable_fen"],
            "reason": order["reason"],
            "group_buy": {"group_id": order["group_id"], "state": order["group_state"]} if order["group_id"] else None}


@routes.post("/merchant/store-sales")
async def place_store_sale(request: web.Request) -> web.Response:
    """A counter sale: an order like any other (stock reserved by the saga, points, analytics, refunds) with
    entry `store_checkout`, no delivery, and a walk-in buyer `walkin:<order id>` until paid (the payer is known
    to Alipay only; payment.confirmed names them if they are one of the mall's buyers). The gateway checked
    that the store is the merchant's."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, StoreSaleBody)
    settings, clock = _settings(request), deps_of(request.app).clock

    async def work(tx: Tx) -> tuple[int, Any]:
        if body.items is None:
            priced = domain.counter_amount(merchant_id, cast(int, body.amount_fen))
        else:
            priced = await price(tx.conn, body.items, None)
        if priced.merchant_id != merchant_id:
            raise Refusal("unknown_sku", "No such SKU at this merchant", 422)  # another merchant's goods
        order_id, now = str(uuid.uuid4()), clock.now()
        user_id = f"{domain.WALK_IN}{order_id}"
        pay_by = now + timedelta(seconds=settings.pay_timeout_seconds)
        await store.insert_order(
            tx.conn, order_id=order_id, user_id=user_id, priced=priced, entry="store_checkout", coupon_id=None,
            points=0, subject=domain.subject([ln.name for ln in priced.lines]),
            promotion_status=domain.promotion_needed(None, 0), pay_by=pay_by, now=now)
        await store.set_deadline(tx.conn, order_id, "pay_by", pay_by)
        await tx.emit(OrderPlaced(
            order_id=order_id, user_id=user_id, merchant_id=merchant_id, subtotal_fen=priced.subtotal_fen,
            entry="store_checkout", lines=goods_lines(priced)))
        return 201, {"id": order_id, "status": Status.PENDING.value, "payable_fen": None, "reason": None}

    return await idempotent(request, request.app[DB], f"store_sale:{merchant_id}", body.model_dump(mode="json"),
                            work)


@routes.get("/merchant/orders/{order_id}/wait")
async def wait_store_sale(request: web.Request) -> web.Response:
    """The merchant's counter sale once the saga decided (`?wait_ms=`, as the buyer's GET waits)."""
    merchant_id, order_id = current_merchant(request), request.match_info["order_id"]
    # Counter sales only. Their buyer is the walk-in until paid, then perhaps the payer (a retried checkout).
    order = await store.order_of_merchant(request.app[DB].pool, order_id, merchant_id)
    if order is None or order["entry"] != "store_checkout":
        raise NotFound("No such order", code="order_not_found")
    return await _order_after_wait(request, order_id, order["user_id"], merchant_id)


# --- the buyer's orders -----------------------------------------------------------------------------


@routes.get("/orders")
async def list_orders(request: web.Request) -> web.Response:
    user_id = current_user(request)
    query = parse_query(request, ListQuery)
    async with request.app[DB].pool.acquire() as conn:
        orders = await store.orders_of_user(conn, user_id, query.status, query.limit)
        return json_response({"items": await views(conn, orders)})


@routes.get("/orders/{order_id}")
async def get_order(request: web.Request) -> web.Response:
    """`?wait_ms=` waits while the order is still in `wait_while` (PENDING: the saga is deciding;
    AWAITING_PAYMENT: a payment payments applied is on its way), woken by the commit that moves it, no
    polling: the gateway shows the outcome of a placement or of a payment check in one call."""
    return await _order_after_wait(request, request.match_info["order_id"], current_user(request))


async def _order_after_wait(request: web.Request, order_id: str, user_id: str,
                            merchant_id: str | None = None) -> web.Response:
    """The order of `user_id` (and of `merchant_id` when given), once it has left `wait_while` or `wait_ms`
    has passed."""
    query = parse_query(request, GetQuery)
    db = request.app[DB]
    wait_ms = min(query.wait_ms, _settings(request).max_wait_ms)
    if wait_ms > 0:  # the wait's last read is the order answered
        order = await flows.wait_while_status(db, deps_of(request.app).changes, order_id, user_id,
                                              query.wait_while, wait_ms / 1000)
    else:
        order = await store.order_of_user(db.pool, order_id, user_id)
    if order is None or (merchant_id is not None and order["merchant_id"] != merchant_id):
        raise NotFound("No such order", code="order_not_found")
    if query.fields == "status":
        return json_response({"id": order["id"], "status": order["status"]})
    async with db.pool.acquire() as conn:
        return json_response((await views(conn, [order]))[0])


Change = Callable[[Tx, asyncpg.Record], Awaitable[None]]


async def change_user_order(request: web.Request, body: Any, change: Change) -> web.Response:
    """A buyer's command on their order: idempotent, the order locked, the answer is the order after it."""
    user_id, order_id = current_user(request), request.match_info["order_id"]

    async def work(tx: Tx) -> tuple[int, Any]:
        order = await store.lock_user_order(tx.conn, order_id, user_id)
        if order is None:
            raise NotFound("No such order", code="order_not_found")
        await change(tx, order)
        return 200, await fresh_view(tx.conn, order_id)

    return await idempotent(request, request.app[DB], f"order:{user_id}", body, work)


@routes.post("/orders/{order_id}/cancel")
async def cancel_order(request: web.Request) -> web.Response:
    clock = deps_of(request.app).clock

    async def change(tx: Tx, order: asyncpg.Record) -> None:
        await flows.cancel(tx, order, "user_cancelled", clock.now())

    return await change_user_order(request, None, change)


@routes.post("/orders/{order_id}/confirm-receipt")
async def confirm_receipt(request: web.Request) -> web.Response:
    clock = deps_of(request.app).clock

    async def change(tx: Tx, order: asyncpg.Record) -> None:
        await flows.complete(tx, order, clock.now())

    return await change_user_order(request, None, change)


def _lines(body: RefundBody | MerchantRefundBody) -> list[tuple[str, int]] | None:
    return None if body.lines is None else [(ln.line_id, ln.qty) for ln in body.lines]


@routes.post("/orders/{order_id}/refund")
async def request_refund(request: web.Request) -> web.Response:
    """Refund some units of some lines (all that is left without `lines`); 201 with the new refund."""
    user_id, order_id = current_user(request), request.match_info["order_id"]
    body = await parse_body(request, RefundBody)
    deps, settings = deps_of(request.app), _settings(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        order = await store.lock_user_order(tx.conn, order_id, user_id)
        if order is None:
            raise NotFound("No such order", code="order_not_found")
        refund_id = await flows.request_refund(
            tx, order, reason=body.reason, lines=_lines(body), with_return=body.with_return, by_merchant=False,
            now=deps.clock.now(), return_window=timedelta(seconds=settings.return_window_seconds),
            waits=settings.refund_waits())
        return 201, await fresh_refund(tx.conn, order_id, refund_id)

    return await idempotent(request, request.app[DB], f"buyer-refund:{user_id}", body.model_dump(mode="json"), work)


@routes.get("/orders/{order_id}/refunds")
async def list_refunds(request: web.Request) -> web.Response:
    user_id, order_id = current_user(request), request.match_info["order_id"]
    async with request.app[DB].pool.acquire() as conn:
        if await store.order_of_user(conn, order_id, user_id) is None:
            raise NotFound("No such order", code="order_not_found")
        return json_response({"items": (await refund_views(conn, [order_id]))[order_id]})


RefundChange = Callable[[Tx, asyncpg.Record, asyncpg.Record], Awaitable[None]]


async def change_refund(request: web.Request, *, user_id: str | None, merchant_id: str | None, scope: str,
                        body: Any, change: RefundChange) -> web.Response:
    """A command on one refund of the caller's orders (anyone else's is 404): idempotent, the order and then
    the refund locked, the answer is the refund after it."""
    refund_id = request.match_info["refund_id"]

    async def work(tx: Tx) -> tuple[int, Any]:
        order_id = await store.refund_order_id(tx.conn, refund_id, user_id=user_id, merchant_id=merchant_id)
        order = None if order_id is None else await store.lock_order(tx.conn, order_id)
        refund = None if order is None else await store.lock_refund(tx.conn, refund_id)
        if order is None or refund is None:
            raise NotFound("No such refund", code="refund_not_found")
        await change(tx, order, refund)
        return 200, await fresh_refund(tx.conn, order["id"], refund_id)

    return await idempotent(request, request.app[DB], scope, body, work)


@routes.post("/refunds/{refund_id}/return-shipment")
async def ship_return(request: web.Request) -> web.Response:
    """The buyer sent the goods back: the merchant now has MALL_RETURN_RECEIPT_SECONDS to confirm receipt."""
    user_id = current_user(request)
    body = await parse_body(request, ReturnShipmentBody)
    deps, waits = deps_of(request.app), _settings(request).refund_waits()

    async def change(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record) -> None:
        await flows.move_refund(tx, order, refund, "ship_return", deps.clock.now(), waits,
                                return_carrier=body.carrier, return_tracking_no=body.tracking_no.upper())

    return await change_refund(request, user_id=user_id, merchant_id=None, scope=f"return:{user_id}",
                               body=body.model_dump(), change=change)


# --- merchant staff ---------------------------------------------------------------------------------


@routes.get("/merchant/orders")
async def merchant_orders(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    query = parse_query(request, MerchantListQuery)
    async with request.app[DB].pool.acquire() as conn:
        orders, total, exact = await store.orders_of_merchant(
            conn, merchant_id, query.status, query.delivery_method, query.created_from, query.created_before,
            query.q, query.limit, (query.page - 1) * query.limit)
        return json_response({"items": await views(conn, orders), "total": total, "total_exact": exact})


@routes.get("/merchant/orders/{order_id}")
async def merchant_order(request: web.Request) -> web.Response:
    """One of the merchant's orders (the pickup counter reads what is left to hand over: remaining_qty)."""
    merchant_id, order_id = current_merchant(request), request.match_info["order_id"]
    async with request.app[DB].pool.acquire() as conn:
        order = await store.order_of_merchant(conn, order_id, merchant_id)
        if order is None:
            raise NotFound("No such order", code="order_not_found")
        return json_response((await views(conn, [order]))[0])


async def change_merchant_order(request: web.Request, change: Change) -> web.Response:
    merchant_id, order_id = current_merchant(request), request.match_info["order_id"]
    async with request.app[DB].transaction() as tx:
        order = await store.lock_merchant_order(tx.conn, order_id, merchant_id)
        if order is None:
            raise NotFound("No such order", code="order_not_found")
        await change(tx, order)
        return json_response(await fresh_view(tx.conn, order_id))


class ShipBody(StrictModel):
    """The waybill, as fulfilment checked it for the gateway (both or neither)."""

    carrier: str | None = Field(default=None, min_length=1, max_length=32)
    tracking_no: str | None = Field(default=None, min_length=1, max_length=40)


@routes.post("/merchant/orders/{order_id}/ship")
async def ship(request: web.Request) -> web.Response:
    clock, settings = deps_of(request.app).clock, _settings(request)
    body = await parse_body(request, ShipBody) if request.can_read_body else ShipBody()

    async def change(tx: Tx, order: asyncpg.Record) -> None:
        await flows.ship(tx, order, clock.now(), timedelta(seconds=settings.auto_confirm_seconds),
                         body.carrier, body.tracking_no)

    return await change_merchant_order(request, change)


@routes.post("/merchant/orders/{order_id}/refund")
async def merchant_refund(request: web.Request) -> web.Response:
    """The merchant refunds some units (or all that is left) on their own: approved at once, no return."""
    merchant_id, order_id = current_merchant(request), request.match_info["order_id"]
    body = await parse_body(request, MerchantRefundBody)
    deps, settings = deps_of(request.app), _settings(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        order = await store.lock_merchant_order(tx.conn, order_id, merchant_id)
        if order is None:
            raise NotFound("No such order", code="order_not_found")
        refund_id = await flows.request_refund(
            tx, order, reason=body.reason, lines=_lines(body), with_return=False, by_merchant=True,
            now=deps.clock.now(), return_window=timedelta(seconds=settings.return_window_seconds),
            waits=settings.refund_waits())
        return 201, await fresh_refund(tx.conn, order_id, refund_id)

    return await idempotent(request, request.app[DB], f"refund:{merchant_id}", body.model_dump(mode="json"), work)


async def answer_refund(request: web.Request, action: domain.RefundAction, body: RejectBody | None = None
                        ) -> web.Response:
    """The merchant's answer to one refund of their orders."""
    merchant_id, deps, waits = current_merchant(request), deps_of(request.app), _settings(request).refund_waits()

    async def change(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record) -> None:
        now = deps.clock.now()
        extra: dict[str, Any] = {"reject_reason": body.reason} if body else {}
        await flows.move_refund(tx, order, refund, action, now, waits, **extra)

    return await change_refund(request, user_id=None, merchant_id=merchant_id, scope=f"refund-answer:{merchant_id}",
                               body=body.model_dump() if body else None, change=change)


@routes.post("/merchant/refunds/{refund_id}/approve")
async def approve(request: web.Request) -> web.Response:
    """Approved: the money goes back now, or once the goods are back when they have to come back."""
    return await answer_refund(request, "approve")


@routes.post("/merchant/refunds/{refund_id}/reject")
async def reject(request: web.Request) -> web.Response:
    current_merchant(request)
    return await answer_refund(request, "reject", await parse_body(request, RejectBody))


@routes.post("/merchant/refunds/{refund_id}/receive-return")
async def receive_return(request: web.Request) -> web.Response:
    """The goods are back in the shop: the money goes back, and the units go back on sale."""
    return await answer_refund(request, "receive_return")


# The first merchant paths, by order: they answer the order's refund waiting longest.


async def _decide_oldest(request: web.Request, action: domain.RefundAction) -> web.Response:
    deps, waits = deps_of(request.app), _settings(request).refund_waits()

    async def change(tx: Tx, order: asyncpg.Record) -> None:
        refund = await store.oldest_requested(tx.conn, order["id"])
        if refund is None:
            raise domain.Refusal("no_refund_to_decide", "This order has no refund waiting for the merchant")
        await flows.move_refund(tx, order, refund, action, deps.clock.now(), waits)

    return await change_merchant_order(request, change)


@routes.post("/merchant/orders/{order_id}/refund/approve")
async def approve_refund(request: web.Request) -> web.Response:
    return await _decide_oldest(request, "approve")


@routes.post("/merchant/orders/{order_id}/refund/reject")
async def reject_refund(request: web.Request) -> web.Response:
    return await _decide_oldest(request, "reject")
