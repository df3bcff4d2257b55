"""Checkout preview: discount and points for a cart, with the same rules that lock an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from services.marketing.api.common import Model, db, now, user_id
from services.marketing.domain import group_buy as rules
from services.marketing.domain.coupons import Cart, CartLine, Rejection
from services.marketing.flows import pricing
from services.marketing.flows.claims import coupon_view
from services.marketing.store import coupons as coupons_db
from services.marketing.store import group_buy as group_db
from shared.db import Queryable as Connection
from shared.http import Conflict, json_response, parse_body
from shared.refusal import Refusal

routes = web.RouteTableDef()


class QuoteLine(Model):
    sku_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1, max_length=64)
    category_id: str | None = Field(default=None, max_length=64)
    qty: int = Field(gt=0, le=10_000)
    unit_price_fen: int = Field(ge=0, le=10_000_000_000)


class GroupChoice(Model):
    deal_id: str | None = Field(default=None, min_length=1, max_length=64)  # open a group of this deal
    group_id: str | None = Field(default=None, min_length=1, max_length=64)  # or join this one


class QuoteBody(Model):
    merchant_id: str = Field(min_length=1, max_length=64)
    lines: list[QuoteLine] = Field(min_length=1, max_length=200)
    subtotal_fen: int = Field(gt=0, le=10_000_000_000)
    coupon_id: str | None = Field(default=None, max_length=64)
    points: int = Field(default=0, ge=0, le=100_000_000)
    freight_fen: int = Field(default=0, ge=0, le=10_000_000_000)  # of the chosen delivery: free shipping waives it
    group_buy: GroupChoice | None = None  # a group-buy (拼团) basket: priced at the group's price, no coupon


@routes.post("/quote")
async def quote(request: web.Request) -> web.Response:
    """`discount_fen` is for the named coupon (0 without one); `best_coupon_id` is the one that takes most off."""
    user = user_id(request)
    body = await parse_body(request, QuoteBody)
    at = now(request)
    cart = Cart(merchant_id=body.merchant_id, subtotal_fen=body.subtotal_fen, freight_fen=body.freight_fen, lines=[
        CartLine(sku_id=x.sku_id, product_id=x.product_id, qty=x.qty, unit_price_fen=x.unit_price_fen,
                 category_id=x.category_id) for x in body.lines])
    async with db(request).pool.acquire() as conn:
        if body.group_buy is not None:
            return json_response(await _group_quote(conn, user, body, at))
        try:
            priced = await pricing.price(conn, user_id=user, cart=cart, coupon_id=body.coupon_id,
                                         points=body.points, now=at)
        except Rejection as refusal:
            raise Conflict(refusal.detail, code=refusal.code) from None
        usable = pricing.usable_for_cart(await coupons_db.usable_coupons(conn, user, at), cart)
    return json_response({
        "discount_fen": priced.discount_fen, "points": priced.points, "points_fen": priced.points_fen,
        "freight_off_fen": priced.freight_off_fen,
        "coupon_id": priced.coupon_id, "best_coupon_id": usable[0][0]["id"] if usable else None,
        "usable_coupons": [{**coupon_view(row, at), "name": row["name"], "discount_fen": off.goods_fen,
                            "freight_off_fen": off.freight_fen} for row, off in usable]})


async def _group_quote(conn: Connection, user: str, body: QuoteBody, at: datetime) -> dict[str, Any]:
    """A group-buy basket as its order will be seated (flows.group_buy.claim_seat): one unit of the deal's
    SKU, no coupon or points, the group price's difference as the discount; refused as the seat would be."""
    ref = body.group_buy
    assert ref is not None
    if (ref.deal_id is None) == (ref.group_id is None):
        raise Refusal("validation_error", "Name either deal_id (open a group) or group_id (join one)", 422)
    if len(body.lines) != 1 or body.lines[0].qty != 1:
        raise Refusal("group_buy_one_item", "A group-buy order is one unit of the deal's SKU", 422)
    if body.coupon_id or body.points:
        raise Refusal("group_buy_no_promotion", "A group-buy order takes no coupon and no points", 422)
    line = body.lines[0]
    if ref.deal_id is not None:
        row = await group_db.get_deal(conn, ref.deal_id)
        price_fen = rules.check_deal_open(group_db.deal_of(row) if row else None, body.merchant_id, line.sku_id,
                                          at).group_price_fen
    else:
        group = await group_db.get_group(conn, ref.group_id or "")
        deal = await group_db.get_deal(conn, group["deal_id"]) if group is not None else None
        if group is None or deal is None or deal["merchant_id"] != body.merchant_id:
            raise Refusal("group_not_found", "No such group", 404)
        if deal["sku_id"] != line.sku_id:
            raise Refusal("group_deal_sku_mismatch", "This order is not for the group's SKU", 422)
        rules.check_seat(status=group["status"], expires_at=group["expires_at"], now=at, size=group["size"],
                         seated=await group_db.count_seated(conn, group["id"]),
                         already_member=await group_db.is_member(conn, group["id"], user))
        price_fen = group["group_price_fen"]
    return {"discount_fen": rules.group_discount_fen(body.subtotal_fen, line.qty, price_fen), "points": 0,
            "points_fen": 0, "freight_off_fen": 0, "coupon_id": None, "best_coupon_id": None, "usable_coupons": []}
