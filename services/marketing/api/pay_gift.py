"""The payment-success page's gifts. Payment-success coupons (支付有礼): after paying an order, its buyer is
offered the coupons of the merchant's running pay_gift campaigns and may claim one of them, once per paid
order. 集分宝: the 集分宝 the paid order earns at a merchant with a 集分宝 budget, collected once
(`flows.jifenbao`).

Marketing knows an order is paid (and kept) from order.paid (`paid_orders`); until that is handled the order
has no offer (404 `paid_order_not_found`, the page may ask again). The claimed coupon is issued as any other
(limits, stock, budget) and, for a buyer with an Alipay id, sent as an Alipay voucher when its template is
published (`flows.vouchers`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from asyncpg import Record
from pydantic import Field

from services.marketing.api.common import Model, alipay_user_id, db, now, path_id, user_id
from services.marketing.api.coupons import template_view
from services.marketing.deps import deps_of
from services.marketing.domain.coupons import credit_allows
from services.marketing.flows import jifenbao
from services.marketing.flows.claims import coupon_view, issue_coupon
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import coupons as coupons_db
from shared.alipay import AlipayResponseError
from shared.db import Queryable as Connection
from shared.db import Tx
from shared.http import Conflict, NotFound, Problem, Unprocessable, credit_score, idempotent, json_response, parse_body

routes = web.RouteTableDef()


class GiftClaim(Model):
    template_id: str = Field(min_length=1, max_length=64)


async def _paid_order(conn: Connection, order_id: str, user: str) -> Record:
    order = await conn.fetchrow("SELECT * FROM paid_orders WHERE order_id = $1", order_id)
    if order is None or order["user_id"] != user:  # another buyer's order does not exist
        raise NotFound("No such paid order", code="paid_order_not_found")
    return order


@routes.get("/orders/{order_id}/pay-gift")
async def offers(request: web.Request) -> web.Response:
    """The success page's gift: what may be claimed for this paid order, or the coupon claimed for it."""
    user, order_id, at = user_id(request), path_id(request, "order_id"), now(request)
    score = credit_score(request)
    async with db(request).pool.acquire() as conn:
        order = await _paid_order(conn, order_id, user)
        claimed = await campaigns_db.pay_gift_claim(conn, order_id)
        coupon = await coupons_db.get_coupon_with_template(conn, claimed["coupon_id"]) if claimed else None
        rows = [] if claimed else await campaigns_db.claimable_templates(
            conn, at, merchant_id=order["merchant_id"], channel="pay_gift")
        points = await jifenbao.offer(conn, order)
    return json_response({
        "order_id": order_id, "claimed": coupon_view(coupon, at) if coupon else None,
        "offers": [template_view(r) for r in rows if credit_allows(r["min_credit_score"], score)],
        "jifenbao": points})


@routes.post("/orders/{order_id}/pay-gift/claim")
async def claim(request: web.Request) -> web.Response:
    user, order_id, at = user_id(request), path_id(request, "order_id"), now(request)
    body = await parse_body(request, GiftClaim)
    score, alipay = credit_score(request), alipay_user_id(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        order = await _paid_order(tx.conn, order_id, user)
        template = await campaigns_db.get_template(tx.conn, body.template_id)
        if template is None or template["channel"] != "pay_gift" or template["merchant_id"] != order["merchant_id"]:
            raise NotFound("No such gift for this order", code="template_not_found")
        coupon = await issue_coupon(tx, template, user, source="pay_gift", now=at, credit_score=score,
                                    alipay_user_id=alipay)
        # After the issue, so a second claim racing this one waits on the order's row and then finds it taken.
        if not await campaigns_db.record_pay_gift(tx.conn, order_id, user, coupon["id"], at):
            raise Conflict("This order's gift has been claimed", code="pay_gift_claimed")
        return 201, coupon_view(coupon, at)

    return await idempotent(request, db(request), f"pay-gift:{user}", {"order_id": order_id, **body.model_dump()},
                            work)


@routes.post("/orders/{order_id}/jifenbao")
async def collect_jifenbao(request: web.Request) -> web.Response:
    """The paid order's 集分宝 into the caller's Alipay account; again: the same grant, paid once."""
    user, order_id = user_id(request), path_id(request, "order_id")
    alipay = alipay_user_id(request)
    if alipay is None:
        raise Unprocessable("集分宝 go to an Alipay account: sign in with Alipay", code="alipay_user_required")
    async with db(request).pool.acquire() as conn:
        order = await _paid_order(conn, order_id, user)
    try:
        return json_response(await jifenbao.collect(deps_of(request.app), order, alipay), status=201)
    except AlipayResponseError as exc:
        raise Problem(str(exc), status=502, code="alipay_unavailable", title="Alipay did not answer") from None
