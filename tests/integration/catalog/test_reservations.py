"""order.placed through the bus: all lines or none, never oversold, once per order; and what follows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from shared.events.common import Line
from shared.events.orders import OrderCancelled, OrderPaid, OrderRefunded, OrderReturnReceived
from shared.events.payments import PaymentConfirmed
from tests.integration.catalog.conftest import MERCHANT, placed, publish
from tests.support import eventually


async def decided(catalog, count: int) -> tuple[list, list]:
    async def probe():
        reserved, rejected = await catalog.events("stock.reserved"), await catalog.events("stock.rejected")
        return (reserved, rejected) if len(reserved) + len(rejected) >= count else None

    return await eventually(probe, timeout=60)


def cancelled(order_id: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, user_id="u1", merchant_id=MERCHANT, reason="user_cancelled")


def paid(order_id: str) -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id="u1", merchant_id=MERCHANT, payable_fen=1000, method="alipay")


def payment_confirmed(order_id: str) -> PaymentConfirmed:
    return PaymentConfirmed(payment_id=f"pay_{uuid.uuid4().hex[:8]}", order_id=order_id, user_id="u1",
                            merchant_id=MERCHANT, method="alipay", amount_fen=1000, paid_at=datetime.now(UTC))


async def test_flash_sale_never_oversells(catalog, orders_bus):
    _, sku = await catalog.product("秒杀手机", price_fen=99_900, stock=50)
    orders = [placed(sku, 1, 99_900) for _ in range(300)]
    snapshots: list[dict[str, int]] = []

    async def watch() -> None:  # every committed state on the way, not only the last one
        while True:
            snapshots.append(await catalog.stock(sku))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(publish(orders_bus, o) for o in orders))
    try:
        reserved, rejected = await decided(catalog, 300)
    finally:
        watcher.cancel()
    assert len(snapshots) > 10
    assert all(s["available"] >= 0 and s["available"] + s["reserved"] + s["sold"] == 50 for s in snapshots)
    assert (len(reserved), len(rejected)) == (50, 250)
    assert {r["reason"] for r in rejected} == {"out_of_stock"}
    assert await catalog.stock(sku) == {"available": 0, "reserved": 50, "sold": 0}
    assert await catalog.db.fetchval("SELECT sum(qty) FROM reservations WHERE status = 'held'") == 50

    # Cancel 20 of the winners and pay for 10: the numbers still add up to the 50 there were.
    winners = [r["order_id"] for r in reserved]
    await asyncio.gather(*(publish(orders_bus, cancelled(o)) for o in winners[:20]),
                         *(publish(orders_bus, paid(o)) for o in winners[20:30]))

    async def settled():
        s = await catalog.stock(sku)
        return s if s == {"available": 20, "reserved": 20, "sold": 10} else None

    await eventually(settled, timeout=30)
    assert await catalog.db.fetchval("SELECT p.sold FROM products p JOIN skus s ON s.product_id = p.id "
                                     "WHERE s.id = $1", sku) == 10


async def test_order_with_one_short_line_reserves_nothing(catalog, orders_bus):
    _, plenty = await catalog.product("矿泉水", price_fen=200, stock=100)
    _, scarce = await catalog.product("限量月饼", price_fen=5000, stock=1)
    order = placed(plenty, 5, 200, more=[(scarce, 2, 5000)])
    await publish(orders_bus, order)

    _, rejected = await decided(catalog, 1)
    assert rejected == [{"order_id": order.order_id, "reason": "out_of_stock", "sku_id": scarce}]
    assert await catalog.stock(plenty) == {"available": 100, "reserved": 0, "sold": 0}
    assert await catalog.stock(scarce) == {"available": 1, "reserved": 0, "sold": 0}
    assert await catalog.db.fetchval("SELECT count(*) FROM reservations") == 0


async def test_multi_line_order_reserves_every_line(catalog, orders_bus):
    _, a = await catalog.product("矿泉水", price_fen=200, stock=100)
    _, b = await catalog.product("月饼", price_fen=5000, stock=3)
    order = placed(a, 3, 200, more=[(b, 2, 5000), (a, 1, 200)])  # the same SKU twice adds up
    await publish(orders_bus, order)

    reserved, _ = await decided(catalog, 1)
    assert sorted((x["sku_id"], x["qty"]) for x in reserved[0]["lines"]) == sorted([(a, 4), (b, 2)])
    assert await catalog.stock(a) == {"available": 96, "reserved": 4, "sold": 0}


async def test_redelivered_order_placed_reserves_once(catalog, orders_bus):
    _, sku = await catalog.product("耳机", price_fen=1000, stock=10)
    order = placed(sku, 3, 1000)
    event = await publish(orders_bus, order)
    await orders_bus.publish_event(event)  # the same message again (a broker redelivery)
    await publish(orders_bus, order)  # the same order in a new envelope (orders re-sent it)

    await decided(catalog, 1)
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 2 FROM inbox"))
    assert await catalog.stock(sku) == {"available": 7, "reserved": 3, "sold": 0}
    assert len(await catalog.events("stock.reserved")) == 1
    assert await catalog.events("stock.rejected") == []


async def test_price_change_before_reservation_rejects_with_price_changed(catalog, orders_bus):
    _, sku = await catalog.product("充电宝", price_fen=9900, stock=10)
    resp = await catalog.client.patch(f"/merchant/skus/{sku}", json={"price_fen": 12900},
                                      headers={"X-Merchant-Id": MERCHANT})
    assert resp.status == 200
    order = placed(sku, 1, 9900)  # priced by orders from its copy before the change reached it
    await publish(orders_bus, order)

    _, rejected = await decided(catalog, 1)
    assert rejected == [{"order_id": order.order_id, "reason": "price_changed", "sku_id": sku}]
    assert await catalog.stock(sku) == {"available": 10, "reserved": 0, "sold": 0}


async def test_unknown_sku_is_rejected(catalog, orders_bus):
    order = placed("sku_nope", 1, 100)
    await publish(orders_bus, order)
    _, rejected = await decided(catalog, 1)
    assert rejected[0]["reason"] == "unknown_sku"


async def test_cancellation_overtaking_placement_reserves_nothing(catalog, orders_bus):
    _, sku = await catalog.product("键盘", price_fen=1000, stock=5)
    order = placed(sku, 1, 1000)
    await publish(orders_bus, cancelled(order.order_id))
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 1 FROM inbox"))
    await publish(orders_bus, order)
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 2 FROM inbox"))
    assert await catalog.stock(sku) == {"available": 5, "reserved": 0, "sold": 0}


async def test_paid_orders_count_bought_together_and_refund_restocks(catalog, orders_bus):
    pa, a = await catalog.product("手机", price_fen=1000, stock=5)
    pb, b = await catalog.product("手机壳", price_fen=1000, stock=5)
    order = placed(a, 1, 1000, more=[(b, 2, 1000)])
    await publish(orders_bus, order)
    await decided(catalog, 1)
    await publish(orders_bus, paid(order.order_id))
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 2 FROM bought_together"))
    assert await catalog.stock(b) == {"available": 3, "reserved": 0, "sold": 2}

    refund = OrderRefunded(order_id=order.order_id, user_id="u1", merchant_id=MERCHANT, refund_id="r1",
                           amount_fen=2000, restock=True,
                           lines=[Line(sku_id=b, product_id=pb, qty=2, unit_price_fen=1000)])
    await publish(orders_bus, refund)

    async def restocked():
        return await catalog.stock(b) == {"available": 5, "reserved": 0, "sold": 0}

    await eventually(restocked)
    assert await catalog.stock(a) == {"available": 4, "reserved": 0, "sold": 1}

    resp = await catalog.client.get("/recommendations", params={"sku_ids": a})
    assert resp.status == 200, await resp.text()
    assert [p["id"] for p in (await resp.json())["items"]][0] == pb


async def test_a_payment_confirmed_before_its_order_was_cancelled_sells_nothing(catalog, orders_bus):
    # The pay-by deadline cancelled the order while the buyer paid (during a broker outage both events wait in
    # their outboxes and may arrive in either order): orders refunds that payment, so nothing was sold.
    _, sku = await catalog.product("蓝牙音箱", price_fen=1000, stock=5)
    order = placed(sku, 2, 1000)
    await publish(orders_bus, order)
    await decided(catalog, 1)
    await publish(orders_bus, payment_confirmed(order.order_id), "payments")
    await publish(orders_bus, cancelled(order.order_id))
    # catalog does not consume payment.confirmed (its queue is not bound to it): placed and cancelled
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 2 FROM inbox"))
    assert await catalog.stock(sku) == {"available": 5, "reserved": 0, "sold": 0}


async def test_a_returned_parcel_is_restocked_when_received_not_when_refunded(catalog, orders_bus):
    pa, a = await catalog.product("运动鞋", price_fen=1000, stock=5)
    order = placed(a, 2, 1000)
    await publish(orders_bus, order)
    await decided(catalog, 1)
    await publish(orders_bus, paid(order.order_id))
    await eventually(lambda: catalog.db.fetchval(
        "SELECT status = 'sold' FROM stock_orders WHERE order_id = $1", order.order_id))
    line = Line(sku_id=a, product_id=pa, qty=1, unit_price_fen=1000)
    await publish(orders_bus, OrderReturnReceived(order_id=order.order_id, user_id="u1", merchant_id=MERCHANT,
                                                  refund_id="r1", lines=[line]))

    async def back_on_sale():
        return await catalog.stock(a) == {"available": 4, "reserved": 0, "sold": 1}

    await eventually(back_on_sale)
    # the money follows later: a refund after shipping does not restock again
    await publish(orders_bus, OrderRefunded(order_id=order.order_id, user_id="u1", merchant_id=MERCHANT,
                                            refund_id="r1", amount_fen=1000, restock=False, lines=[line]))
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 4 FROM inbox"))
    assert await catalog.stock(a) == {"available": 4, "reserved": 0, "sold": 1}


async def test_placements_and_cancellations_racing_leave_nothing_held(catalog, orders_bus):
    _, sku = await catalog.product("抢购耳机", price_fen=1000, stock=30)
    orders = [placed(sku, 1, 1000) for _ in range(60)]
    events = [o for order in orders for o in (order, cancelled(order.order_id))]
    await asyncio.gather(*(publish(orders_bus, e) for e in events))
    await eventually(lambda: catalog.db.fetchval("SELECT count(*) = 120 FROM inbox"), timeout=60)
    assert await catalog.stock(sku) == {"available": 30, "reserved": 0, "sold": 0}
    assert await catalog.db.fetchval("SELECT count(*) FROM reservations WHERE status = 'held'") == 0
