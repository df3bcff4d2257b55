"""The payment's truth without Alipay's notify, through the gateway on every real service and the sandbox:
the buyer returns from the cashier and checks, the order polled while awaiting payment, and a cancellation
after a lost notify refunded at once (the sandbox pays with `notify: false`: a notify that never comes)."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg

from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

LAMP = {"name": "台灯", "brand": "明基", "store_ids": [],
        "skus": [{"id": "sku_lamp", "specs": {"color": "白"}, "price_fen": 29_900, "stock": 20}]}


async def _paid_without_notify(mall: Any, buyer: dict[str, str]) -> tuple[str, dict[str, Any]]:
    gw = mall.gateway

    async def placed() -> dict[str, Any] | None:
        resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_lamp", "qty": 1}]},
                             headers={**buyer, "Idempotency-Key": uuid.uuid4().hex})
        body = await resp.json()
        return body if resp.status == 201 and body["status"] == "AWAITING_PAYMENT" else None

    order = await eventually(placed, timeout=15)  # orders learns the price from sku.changed
    resp = await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "alipay"},
                         headers={**buyer, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    payment = await resp.json()
    paid = await mall.sandbox.post(f"/sandbox/trades/{payment['trade_no']}/pay", json={"notify": False})
    assert paid.status == 200, await paid.text()
    return order["id"], payment


async def test_buyer_back_from_the_cashier_sees_the_order_paid_though_the_notify_never_came(mall):
    await create_product(mall, LAMP)
    gw, alice, bob = mall.gateway, mall.user("u_alice"), mall.user("u_bob")
    order_id, payment = await _paid_without_notify(mall, alice)
    shown = await (await gw.get(f"/api/orders/{order_id}", headers=bob)).json()
    assert shown["code"] == "order_not_found"

    resp = await gw.post(f"/api/orders/{order_id}/payment-check", headers=bob)  # not hers to check
    assert (resp.status, (await resp.json())["code"]) == (404, "order_not_found")
    started = time.monotonic()
    resp = await gw.post(f"/api/orders/{order_id}/payment-check", headers=alice)
    assert resp.status == 200, await resp.text()
    checked = await resp.json()
    assert time.monotonic() - started < 1.0
    assert checked["status"] == "PAID"
    assert (checked["payment"]["payment_id"], checked["payment"]["status"]) == (payment["payment_id"], "succeeded")
    order = await (await gw.get(f"/api/orders/{order_id}", headers=alice)).json()
    assert (order["status"], order["payment"]["id"]) == ("PAID", payment["payment_id"])
    notifies = await (await mall.sandbox.get("/sandbox/notifies", params={"trade_no": payment["trade_no"]})).json()
    assert notifies["items"] == []  # the truth came from alipay.trade.query alone


async def test_an_order_polled_while_awaiting_payment_shows_a_payment_whose_notify_was_lost(mall):
    await create_product(mall, LAMP)
    alice = mall.user("u_alice")
    order_id, _ = await _paid_without_notify(mall, alice)
    order = await (await mall.gateway.get(f"/api/orders/{order_id}", headers=alice)).json()
    assert order["status"] == "PAID"


async def test_cancelled_after_a_lost_notify_is_refunded_in_the_same_flow(mall):
    await create_product(mall, LAMP)
    gw, alice = mall.gateway, mall.user("u_alice")
    order_id, payment = await _paid_without_notify(mall, alice)
    resp = await gw.post(f"/api/orders/{order_id}/cancel", headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "CANCELLED"

    async def refunded() -> bool:  # reconciliation runs every minute: this is the cancellation's own flow
        trade = await (await mall.sandbox.get(f"/sandbox/trades/{payment['trade_no']}")).json()
        return sum(trade["refunds"].values()) == 29_900
    await eventually(refunded, timeout=10)
    assert (await (await gw.get(f"/api/orders/{order_id}", headers=alice)).json())["status"] == "CANCELLED"


async def test_analytics_counts_the_paid_orders_orders_has_after_an_unwanted_payment(mall, database_url):
    await create_product(mall, LAMP)
    gw, alice, staff = mall.gateway, mall.user("u_alice"), mall.staff()
    kept_id, kept = await _paid_without_notify(mall, alice)
    assert (await (await gw.post(f"/api/orders/{kept_id}/payment-check", headers=alice)).json())["status"] == "PAID"
    late_id, late = await _paid_without_notify(mall, alice)
    resp = await gw.post(f"/api/orders/{late_id}/cancel", headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()

    conn = await asyncpg.connect(database_url)
    try:
        async def refund_seen_by_analytics() -> bool:  # the marker: analytics handled the unwanted refund
            return bool(await conn.fetchval(
                "SELECT count(*) FROM analytics.event_log WHERE event_type = 'payment.refunded' "
                "AND data->>'payment_id' = $1 AND (data->>'unwanted')::boolean", late["payment_id"]))
        await eventually(refund_seen_by_analytics, timeout=15)
    finally:
        await conn.close()

    paid = await (await gw.get("/api/orders", params={"status": "PAID"}, headers=alice)).json()
    assert [o["id"] for o in paid["items"]] == [kept_id]
    today = date.today()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    kpis = (await (await gw.get("/api/merchant/metrics", params=span, headers=staff)).json())["kpis"]
    assert (kpis["orders"], kpis["paid_fen"], kpis["gmv_fen"], kpis["aov_fen"]) == (len(paid["items"]), 29_900,
                                                                                    29_900, 29_900)
