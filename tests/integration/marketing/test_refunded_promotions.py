"""Refunds give spent points back as points, once per refund; the coupon comes back only when the whole
order is refunded and it has not expired."""

from __future__ import annotations

from shared.events.common import Line
from shared.events.orders import OrderRefunded
from tests.integration.marketing.conftest import MERCHANT, make_campaign, make_template, outbox, user
from tests.integration.marketing.test_orders import decision, paid, placed
from tests.integration.marketing.test_points_levels import points, release
from tests.support import eventually


def refunded(order_id: str, refund_id: str, points_fen: int, all_refunded: bool) -> OrderRefunded:
    return OrderRefunded(order_id=order_id, user_id="pia", merchant_id=MERCHANT, refund_id=refund_id,
                         amount_fen=1000, restock=True, points_fen=points_fen, all_refunded=all_refunded,
                         lines=[Line(sku_id="sku_1", product_id="prd_1", qty=1, unit_price_fen=5_000)])


async def balance_is(sql, user_id: str, balance: int) -> None:
    await eventually(lambda: sql.fetchval("SELECT balance = $2 FROM points_accounts WHERE user_id = $1",
                                          user_id, balance))


async def coupon_order(market, sql, publish, order_id: str, valid_days: int = 7, spent: int = 300) -> str:
    """pia's ¥150 order with a ¥20 coupon and `spent` points, paid."""
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], amount_fen=2_000, threshold_fen=10_000,
                                   valid_days=valid_days)
    coupon = await (await market.post(f"/coupons/{template['id']}/claim", headers=user("pia"))).json()
    await publish.send(placed(order_id, "pia", coupon["id"], points=spent), producer="orders")
    assert (await decision(sql, order_id))["type"] == "promotion.locked"
    await publish.send(paid(order_id, "pia", 15_000 - 2_000 - spent), producer="orders")
    await eventually(lambda: sql.fetchval("SELECT status = 'used' FROM coupons WHERE id = $1", coupon["id"]))
    return coupon["id"]


async def test_points_come_back_with_each_refund_and_the_coupon_with_the_last(market, sql, publish, clock):
    await publish.send(paid("ord_earn", "pia", 50_000))  # 500 points once released
    await eventually(lambda: outbox(sql, "points.earned"))
    await release(market, publish, sql, clock, "ord_earn", "pia")
    coupon_id = await coupon_order(market, sql, publish, "ord_r1")
    await balance_is(sql, "pia", 200)

    first = await publish.send(refunded("ord_r1", "rf_1", 100, all_refunded=False), producer="orders")
    await balance_is(sql, "pia", 300)
    await publish.bus.publish_event(first)  # redelivered
    await publish.send(refunded("ord_r1", "rf_1", 100, all_refunded=False), producer="orders")  # reported again
    await eventually(lambda: sql.fetchval(
        "SELECT count(*) = 2 FROM inbox WHERE event_type = 'order.refunded'"))
    assert (await points(market, "pia"))["balance"] == 300
    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", coupon_id) == "used"

    await publish.send(refunded("ord_r1", "rf_2", 200, all_refunded=True), producer="orders")
    await balance_is(sql, "pia", 500)
    released = await eventually(lambda: outbox(sql, "coupon.released"))
    assert [(e["coupon_id"], e["order_id"]) for e in released] == [(coupon_id, "ord_r1")]
    mine = await (await market.get("/coupons/mine?status=available", headers=user("pia"))).json()
    assert [c["id"] for c in mine["items"]] == [coupon_id]


async def test_an_expired_coupon_stays_used_after_a_whole_refund(market, sql, publish, clock):
    coupon_id = await coupon_order(market, sql, publish, "ord_r2", valid_days=1, spent=0)
    clock.advance(days=2)
    await publish.send(refunded("ord_r2", "rf_3", 0, all_refunded=True), producer="orders")
    await eventually(lambda: sql.fetchval("SELECT count(*) = 1 FROM inbox WHERE event_type = 'order.refunded'"))
    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", coupon_id) == "used"
    assert await outbox(sql, "coupon.released") == []
