"""Coupons on orders: locked by order.placed, released by order.cancelled, redeemed once by order.paid (never by
payment.confirmed, which may come for a payment orders refuses and refunds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.events.common import Line
from shared.events.orders import OrderCancelled, OrderPaid, OrderPlaced
from shared.events.payments import PaymentConfirmed
from shared.service import BUS
from tests.integration.marketing.conftest import MERCHANT, make_campaign, make_template, outbox, user
from tests.support import eventually, handled_up_to

LINES = [Line(sku_id="sku_1", product_id="prd_1", qty=3, unit_price_fen=5_000, category_id="cat_1")]


def placed(order_id: str, user_id: str, coupon_id: str | None, subtotal_fen: int = 15_000,
           points: int = 0) -> OrderPlaced:
    lines = LINES if subtotal_fen == 15_000 else [
        Line(sku_id="sku_1", product_id="prd_1", qty=1, unit_price_fen=subtotal_fen, category_id="cat_1")]
    return OrderPlaced(order_id=order_id, user_id=user_id, merchant_id=MERCHANT, lines=lines,
                       subtotal_fen=subtotal_fen, coupon_id=coupon_id, points=points)


def paid(order_id: str, user_id: str, payable_fen: int) -> OrderPaid:
    """orders kept the payment of the order."""
    return OrderPaid(order_id=order_id, user_id=user_id, merchant_id=MERCHANT, payable_fen=payable_fen,
                     method="alipay", paid_at=datetime.now(UTC))


def payment(order_id: str, user_id: str, amount_fen: int, payment_id: str = "pay_1") -> PaymentConfirmed:
    return PaymentConfirmed(payment_id=payment_id, order_id=order_id, user_id=user_id, merchant_id=MERCHANT,
                            method="alipay", amount_fen=amount_fen, paid_at=datetime.now(UTC))


async def decision(sql, order_id: str) -> dict:
    async def probe():
        for kind in ("promotion.locked", "promotion.rejected"):
            found = [e for e in await outbox(sql, kind) if e["order_id"] == order_id]
            if found:
                return {"type": kind, **found[0]}
        return None

    return await eventually(probe, timeout=10)


async def test_locked_coupon_cannot_be_used_by_another_order_released_on_cancel_redeemed_once(market, sql, publish):
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], amount_fen=2_000, threshold_fen=10_000)  # ¥20 off ¥100
    coupon = await (await market.post(f"/coupons/{template['id']}/claim", headers=user("alice"))).json()

    await publish.send(placed("ord_a", "alice", coupon["id"]), producer="orders")
    locked = await decision(sql, "ord_a")
    assert (locked["type"], locked["discount_fen"], locked["coupon_id"]) == ("promotion.locked", 2_000, coupon["id"])

    await publish.send(placed("ord_b", "alice", coupon["id"]), producer="orders")
    assert (await decision(sql, "ord_b"))["reason"] == "coupon_in_use"
    await publish.send(placed("ord_x", "mallory", coupon["id"]), producer="orders")  # someone else's coupon
    assert (await decision(sql, "ord_x"))["reason"] == "coupon_not_found"

    await publish.send(OrderCancelled(order_id="ord_a", user_id="alice", merchant_id=MERCHANT,
                                      reason="user_cancelled"), producer="orders")
    released = await eventually(lambda: outbox(sql, "coupon.released"))
    assert released[0]["coupon_id"] == coupon["id"]
    mine = await (await market.get("/coupons/mine?status=available", headers=user("alice"))).json()
    assert [c["id"] for c in mine["items"]] == [coupon["id"]]

    await publish.send(placed("ord_c", "alice", coupon["id"]), producer="orders")
    assert (await decision(sql, "ord_c"))["type"] == "promotion.locked"
    first = await publish.send(paid("ord_c", "alice", 13_000), producer="orders")
    await publish.bus.publish_event(first)  # the same message delivered twice
    await publish.send(paid("ord_c", "alice", 13_000), producer="orders")  # the same fact as a new event
    await eventually(lambda: sql.fetchval("SELECT count(*) = 2 FROM inbox WHERE event_type = 'order.paid'"))
    # The redelivered copy is handled too (skipped, leaving no row) before we look: a marker queued behind it.
    marker = OrderCancelled(order_id="ord_marker", user_id="zed", merchant_id=MERCHANT, reason="marker")
    sent: list[Any] = []

    async def send_marker() -> None:
        sent.append(await publish.send(marker, producer="orders"))

    await handled_up_to(send_marker, lambda: sql.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", sent[0].id),
                        market.server.app[BUS])
    redeemed = await outbox(sql, "coupon.redeemed")
    assert [(e["coupon_id"], e["order_id"], e["discount_fen"]) for e in redeemed] == [(coupon["id"], "ord_c", 2_000)]
    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", coupon["id"]) == "used"
    assert await sql.fetchval("SELECT redeemed_fen FROM campaigns WHERE id = $1", campaign["id"]) == 2_000

    # A cancellation after payment changes nothing.
    await publish.send(OrderCancelled(order_id="ord_c", user_id="alice", merchant_id=MERCHANT, reason="late"))
    # Handled before we look: ord_a's, the marker's and this one (the check once waited for 2, which the
    # marker alone made true, so it looked before this cancellation was handled or failed once it was).
    await eventually(lambda: sql.fetchval("SELECT count(*) = 3 FROM inbox WHERE event_type = 'order.cancelled'"))
    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", coupon["id"]) == "used"


async def test_threshold_scope_and_expiry_refusals_and_a_cancel_before_the_placement(market, sql, publish, clock):
    campaign = await make_campaign(market)
    short = await make_template(market, campaign["id"], valid_days=1)
    c_short = await (await market.post(f"/coupons/{short['id']}/claim", headers=user("bob"))).json()
    clock.advance(days=2)
    await publish.send(placed("ord_0", "bob", c_short["id"]))
    assert (await decision(sql, "ord_0"))["reason"] == "coupon_expired"
    big = await make_template(market, campaign["id"], amount_fen=2_000, threshold_fen=100_000)
    other_cat = await make_template(market, campaign["id"], amount_fen=500, category_id="cat_9")
    c_big = await (await market.post(f"/coupons/{big['id']}/claim", headers=user("bob"))).json()
    c_cat = await (await market.post(f"/coupons/{other_cat['id']}/claim", headers=user("bob"))).json()
    await publish.send(placed("ord_1", "bob", c_big["id"]))
    await publish.send(placed("ord_2", "bob", c_cat["id"]))
    assert (await decision(sql, "ord_1"))["reason"] == "below_threshold"
    assert (await decision(sql, "ord_2"))["reason"] == "coupon_not_applicable"

    await publish.send(OrderCancelled(order_id="ord_3", user_id="bob", merchant_id=MERCHANT, reason="timeout"))
    await eventually(lambda: sql.fetchval("SELECT 1 FROM order_promotions WHERE order_id = 'ord_3'"))
    await publish.send(placed("ord_3", "bob", c_big["id"], subtotal_fen=200_000))
    await eventually(lambda: sql.fetchval("SELECT count(*) = 5 FROM inbox"))
    assert await sql.fetchval("SELECT status FROM coupons WHERE id = $1", c_big["id"]) == "available"


async def test_quote_prices_the_cart_with_the_same_rules_as_the_lock(market):
    campaign = await make_campaign(market)
    fixed = await make_template(market, campaign["id"], amount_fen=2_000, threshold_fen=10_000)
    percent = await make_template(market, campaign["id"], kind="percent", amount_fen=None, percent_off_bp=2_000,
                                  cap_fen=2_500)
    c_fixed = await (await market.post(f"/coupons/{fixed['id']}/claim", headers=user("carol"))).json()
    c_pct = await (await market.post(f"/coupons/{percent['id']}/claim", headers=user("carol"))).json()
    body = {"merchant_id": MERCHANT, "subtotal_fen": 15_000, "coupon_id": c_fixed["id"],
            "lines": [{"sku_id": "s", "product_id": "p", "qty": 3, "unit_price_fen": 5_000}]}
    quote = await (await market.post("/quote", json=body, headers=user("carol"))).json()
    assert quote["discount_fen"] == 2_000
    assert quote["best_coupon_id"] == c_pct["id"]  # 20% of 150 = 30, capped at 25 > 20
    assert [(c["id"], c["discount_fen"]) for c in quote["usable_coupons"]] == [(c_pct["id"], 2_500),
                                                                                (c_fixed["id"], 2_000)]
    small = {**body, "subtotal_fen": 5_000, "lines": [{**body["lines"][0], "qty": 1}]}
    refused = await market.post("/quote", json=small, headers=user("carol"))
    assert refused.status == 409 and (await refused.json())["code"] == "below_threshold"
    not_mine = await market.post("/quote", json=body, headers=user("dave"))
    assert (await not_mine.json())["code"] == "coupon_not_found"
    bad = await market.post("/quote", json={**body, "lines": []}, headers=user("carol"))
    assert bad.status == 422
