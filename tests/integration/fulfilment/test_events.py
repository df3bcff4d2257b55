"""fulfilment's event handlers on the real bus and database: late, early and repeated order events, refunds
closing a pickup code, and the demo seed."""

from __future__ import annotations

import asyncio
from typing import Any

from seeds.catalog import products
from seeds.fulfilment import seed
from shared.db import Database, create_pool, service_dsn
from shared.events.common import Line
from shared.events.marketing import GroupBuySucceeded
from shared.events.orders import Delivery, OrderPaid, OrderPlaced, OrderRefundApproved
from shared.service import BUS
from tests.integration.fulfilment.conftest import Fulfilment
from tests.support import eventually, handled_up_to

LINE = Line(sku_id="s1", product_id="p1", qty=1, unit_price_fen=1_000)


def placed(order_id: str, method: str = "pickup") -> OrderPlaced:
    return OrderPlaced(order_id=order_id, user_id="u1", merchant_id="m1", lines=[LINE], subtotal_fen=1_000,
                       delivery=Delivery(method=method, store_id="st1"))  # type: ignore[arg-type]


def paid(order_id: str, group_held: bool = False, delivery_method: str | None = "pickup") -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id="u1", merchant_id="m1", payable_fen=1_000, method="alipay",
                     group_held=group_held, delivery_method=delivery_method)  # type: ignore[arg-type]


async def pickup_of(f: Fulfilment, order_id: str) -> dict[str, Any] | None:
    status, body = await f.call("GET", f"/orders/{order_id}/delivery", user="u1")
    return body["pickup"] if status == 200 else None


async def test_a_paid_pickup_order_gets_one_code_even_when_events_repeat(fulfilment: Fulfilment) -> None:
    await fulfilment.publish(placed("o1"), times=2)
    await fulfilment.publish(paid("o1"), times=2)
    first = await eventually(lambda: pickup_of(fulfilment, "o1"))
    await fulfilment.publish(paid("o1"))  # a new event id, same fact: the code stays
    await fulfilment.publish(placed("o1"))
    marker = await fulfilment.publish(placed("o_marker", method="express"))
    await eventually(lambda: fulfilment.db.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", marker.id))
    assert await pickup_of(fulfilment, "o1") == first
    assert await fulfilment.call("GET", "/orders/o1/delivery", user="u2") == (404, {
        "type": "https://mpmall.dev/problems/delivery_not_found", "title": "Not found", "status": 404,
        "code": "delivery_not_found", "detail": "This order has no delivery here"})


async def test_order_paid_overtaking_order_placed_still_gives_a_code(fulfilment: Fulfilment) -> None:
    await fulfilment.publish(paid("o2"))
    await eventually(lambda: fulfilment.db.fetchval("SELECT 1 FROM early_payments WHERE order_id = 'o2'"))
    await fulfilment.publish(placed("o2"))
    pickup = await eventually(lambda: pickup_of(fulfilment, "o2"))
    assert pickup["state"] == "paid" and len(pickup["code"]) == 8


async def test_an_order_paid_from_before_it_said_its_delivery_still_gives_a_code_when_it_overtakes(
        fulfilment: Fulfilment) -> None:
    await fulfilment.publish(paid("o3", delivery_method=None))  # an older orders: it may have a delivery
    await eventually(lambda: fulfilment.db.fetchval("SELECT 1 FROM early_payments WHERE order_id = 'o3'"))
    await fulfilment.publish(placed("o3"))
    pickup = await eventually(lambda: pickup_of(fulfilment, "o3"))
    assert pickup["state"] == "paid" and len(pickup["code"]) == 8


async def test_an_order_without_delivery_leaves_fulfilment_nothing_to_keep(fulfilment: Fulfilment) -> None:
    await fulfilment.publish(OrderPlaced(order_id="o_none", user_id="u1", merchant_id="m1", lines=[LINE],
                                         subtotal_fen=1_000))
    unneeded = await fulfilment.publish(paid("o_none", delivery_method="none"))
    marker = await fulfilment.publish(placed("o_marker", method="express"))
    await handled_up_to(lambda: asyncio.sleep(0),
                        lambda: fulfilment.db.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", marker.id),
                        fulfilment.client.server.app[BUS])
    # No early payment noted for an order.placed that will never bring a delivery (such notes were kept
    # forever), and no transaction for either event.
    assert await fulfilment.db.fetchval("SELECT count(*) FROM early_payments WHERE order_id = 'o_none'") == 0
    assert await fulfilment.db.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", unneeded.id) == 0
    assert (await fulfilment.call("GET", "/orders/o_none/delivery", user="u1"))[0] == 404
    assert (await fulfilment.call("GET", "/orders/o_marker/delivery", user="u1"))[0] == 200


async def test_a_held_group_order_gets_its_code_on_success_whichever_event_comes_first(
        fulfilment: Fulfilment) -> None:
    def filled(*order_ids: str) -> GroupBuySucceeded:
        return GroupBuySucceeded(group_id="g1", deal_id="d1", merchant_id="m1", order_ids=list(order_ids))

    await fulfilment.publish(paid("o_held", group_held=True))  # overtakes order.placed: noted with its hold
    await fulfilment.publish(placed("o_held"))
    await fulfilment.publish(placed("o_last"))
    await eventually(lambda: fulfilment.db.fetchval(
        "SELECT 1 FROM deliveries WHERE order_id = 'o_held' AND state = 'paid' AND group_held"))
    assert await pickup_of(fulfilment, "o_held") is None  # no code while the group may still fail
    status, body = await fulfilment.call("POST", "/merchant/orders/o_held/ready", merchant="m1")
    assert (status, body["code"]) == (409, "group_buy_pending")
    await fulfilment.publish(filled("o_held", "o_last"))  # overtakes o_last's order.paid: noted for it
    await fulfilment.publish(paid("o_last", group_held=True))
    for order_id in ("o_held", "o_last"):
        pickup = await eventually(lambda o=order_id: pickup_of(fulfilment, o))
        assert pickup["state"] == "paid" and len(pickup["code"]) == 8


async def test_an_approved_refund_closes_the_pickup_code(fulfilment: Fulfilment) -> None:
    await fulfilment.publish(placed("o3"))
    await fulfilment.publish(paid("o3"))
    code = (await eventually(lambda: pickup_of(fulfilment, "o3")))["code"]
    await fulfilment.publish(OrderRefundApproved(order_id="o3", user_id="u1", merchant_id="m1", refund_id="r1",
                                                 amount_fen=1_000, reason="changed my mind"))

    async def closed() -> bool:
        return (await pickup_of(fulfilment, "o3") or {}).get("state") == "cancelled"

    await eventually(closed)
    status, body = await fulfilment.call("POST", "/merchant/pickups/verify", merchant="m1",
                                         json={"code": code, "store_id": "st1"})
    assert (status, body["code"]) == (409, "pickup_refunded")  # said as it is: not taken for a wrong code
    assert await fulfilment.db.fetchval("SELECT count(*) FROM pickup_misses") == 0


async def test_the_demo_seed_gives_templates_and_pickup_stores_once(fulfilment: Fulfilment, database_url: str) -> None:
    pool = await create_pool(service_dsn(database_url, "fulfilment"), "fulfilment", max_size=2)
    try:
        await seed(Database(pool, "fulfilment"))
        status, _ = await fulfilment.call("PUT", "/merchant/freight-template", merchant="mch_003", json={
            "rules": [{"provinces": ["33"], "first_units": 1, "first_fen": 1, "extra_units": 1, "extra_fen": 1}]})
        assert status == 200
        await seed(Database(pool, "fulfilment"))  # again: the merchant's own template stays
    finally:
        await pool.close()
    status, stores = await fulfilment.call("GET", "/merchant/pickup-stores", merchant="mch_001")
    assert [s["store_id"] for s in stores["items"]] == ["sto_001", "sto_002", "sto_003", "sto_004"]
    assert {(s["pickup_enabled"], s["open_hours"], s["product_ids"]) for s in stores["items"]} == {
        (True, "09:00-21:00", None)}  # every product, the usual hours
    _, tea_stores = await fulfilment.call("GET", "/merchant/pickup-stores", merchant="mch_002")
    counter = next(s for s in tea_stores["items"] if s["store_id"] == "sto_007")
    assert counter["open_hours"] == "10:00-22:00" and counter["product_ids"]  # the tea counter
    assert all(p.category_id == "cat_tea" for p in products() if p.id in counter["product_ids"])
    _, own = await fulfilment.call("GET", "/merchant/freight-template", merchant="mch_003")
    assert [r["provinces"] for r in own["rules"]] == [["33"]]
    status, quote = await fulfilment.call("POST", "/delivery/quote", user="u1", json={
        "merchant_id": "mch_001", "goods_fen": 5_000, "lines": [{"sku_id": "s", "qty": 2}]})
    assert status == 200 and quote["delivery_options"][0] == {"method": "express", "available": True,
                                                              "freight_fen": None}  # no address yet
    status, _ = await fulfilment.call("POST", "/me/addresses", user="u1", json={
        "name": "王五", "phone": "13700000000", "province": "新疆维吾尔自治区", "city": "乌鲁木齐市",
        "district": "天山区", "detail": "1号", "region_code": "650102"})
    assert status == 400  # no Idempotency-Key


async def test_guessing_codes_at_a_store_is_stopped_after_a_few_misses(fulfilment: Fulfilment) -> None:
    await fulfilment.publish(placed("o4"))
    await fulfilment.publish(paid("o4"))
    code = (await eventually(lambda: pickup_of(fulfilment, "o4")))["code"]
    wrong = [c for c in ("00000001", "00000002", "00000003", "00000004") if c != code][:3]

    async def verify(code: str, merchant: str = "m1", store_id: str = "st1") -> tuple[int, Any]:
        return await fulfilment.call("POST", "/merchant/pickups/verify", merchant=merchant,
                                     json={"code": code, "store_id": store_id})

    for guess in wrong:
        status, body = await verify(guess)
        assert (status, body["code"]) == (404, "pickup_not_found")
    # Another merchant trying codes at this store id counts on its own counter, not on m1's.
    assert (await verify("00000009", merchant="m2"))[0] == 404
    status, body = await verify(code)  # even the right code waits now: nothing is looked up
    assert (status, body["code"]) == (429, "too_many_wrong_codes")
    assert (await pickup_of(fulfilment, "o4") or {}).get("state") == "paid"
    status, _ = await verify("00000009", store_id="st2")  # the merchant's other counters still work
    assert status == 404
