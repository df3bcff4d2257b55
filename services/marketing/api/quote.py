"""Checkout preview: discount and points for a cart, with the same rules that lock an order."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from services.marketing.api.common import Model, db, now, user_id
from services.marketing.domain.coupons import Cart, CartLine, Rejection
from services.marketing.flows import pricing
from services.marketing.flows.claims import coupon_view
from services.marketing.store import coupons as coupons_db
from shared.http import Conflict, json_response, parse_body

routes = web.RouteTableDef()


class QuoteLine(Model):
    sku_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1, max_length=64)
    category_id: str | None = Field(default=None, max_length=64)
    qty: int = Field(gt=0, le=10_000)
    unit_price_fen: int = Field(ge=0, le=10_000_000_000)


class QuoteBody(Model):
    merchant_id: str = Field(min_length=1, max_length=64)
    lines: list[QuoteLine] = Field(min_length=1, max_length=200)
    subtotal_fen: int = Field(gt=0, le=10_000_000_000)
    coupon_id: str | None = Field(default=None, max_length=64)
    points: int = Field(default=0, ge=0, le=100_000_000)
    freight_fen: int = Field(default=0, ge=0, le=10_000_000_000)  # of the chosen delivery: free shipping waives it


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
