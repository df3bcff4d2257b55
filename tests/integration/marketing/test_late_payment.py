"""A payment orders refuses (it came after the pay-by deadline cancelled the order) uses no coupon and no points
and earns none, even when its payment.confirmed reaches marketing before that order.cancelled: marketing acts
on order.paid, which orders sends only for an order it kept."""

from __future__ import annotations

from shared.events.orders import OrderCancelled
from shared.events.payments import PaymentRefunded
from tests.integration.marketing.conftest import MERCHANT, make_campaign, make_template, outbox, user
from tests.integration.marketing.test_orders import decision, paid, payment, placed
from tests.integration.marketing.test_points_levels import points, release
from tests.support import eventually


def unwanted_refund(order_id: str, payment_id: str, amount_fen: int) -> PaymentRefunded:
    """payments gave back a payment orders did not keep (late, second or of the wrong amount)."""
    return PaymentRefunded(payment_id=payment_id, order_id=order_id, user_id="pia", merchant_id=MERCHANT,
                           refund_id=f"rf_{payment_id}", amount_fen=amount_fen, total_refunded_fen=amount_fen,
                           full=True, unwanted=True)


async def handled(sql, event_id) -> None:
    await eventually(lambda: sql.fetchval("SELECT true FROM inbox WHERE event_id = $1", event_id))


async def test_a_late_payment_before_the_cancellation_keeps_coupon_and_points_the_buyers(market, sql, publish, clock):
    await publish.send(paid("ord_earn", "pia", 50_000), producer="orders")  # 500 points to spend
    await eventually(lambda: outbox(sql, "points.earned"))
    await release(market, publish, sql, clock, "ord_earn", "pia")
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], amount_fen=2_000, threshold_fen=10_000)
    coupon = await (await market.post(f"/coupons/{template['id']}/claim", headers=user("pia"))).json()
    await publish.send(placed("ord_late", "pia", coupon["id"], points=300), producer="orders")
    assert (await decision(sql, "ord_late"))["type"] == "promotion.locked"

    # The adverse order: the late payment's confirmation first (marketing's queue is not bound to it), then the
    # cancellation, then its refund.
    await publish.send(payment("ord_late", "pia", 12_700, "pay_late"), producer="payments")
    await publish.send(OrderCancelled(order_id="ord_late", user_id="pia", merchant_id=MERCHANT,
                                      reason="payment_timeout"), producer="orders")
    await eventually(lambda: outbox(sql, "coupon.released"))
    refund = await publish.send(unwanted_refund("ord_late", "pay_late", 12_700), producer="payments")
    await handled(sql, refund.id)  # handled, not retried (nor parked) waiting for a payment never kept

    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", coupon["id"]) == "available"
    assert await outbox(sql, "coupon.redeemed") == []
    assert await sql.fetchval("SELECT redeemed_fen FROM campaigns WHERE id = $1", campaign["id"]) == 0
    mine = await points(market, "pia")
    assert (mine["balance"], mine["locked"], mine["pending"]) == (500, 0, 0)  # not spent, none earned
    assert [e["order_id"] for e in await outbox(sql, "points.earned")] == ["ord_earn"]
    assert await sql.fetchval("SELECT count(*) FROM paid_orders WHERE order_id = 'ord_late'") == 0


async def test_a_second_payment_given_back_leaves_the_kept_orders_points(market, sql, publish):
    await publish.send(paid("ord_kept", "pia", 50_000), producer="orders")
    await eventually(lambda: outbox(sql, "points.earned"))
    # The buyer paid twice: orders keeps the first payment and has the second refunded whole.
    refund = await publish.send(unwanted_refund("ord_kept", "pay_twice", 50_000), producer="payments")
    await handled(sql, refund.id)
    assert (await points(market, "pia"))["pending"] == 500
