"""In-store pickup through the gateway on the real services: pay → code → ready → staff verify → COMPLETED."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup
from tests.support import eventually


async def paid_pickup_order(mall: Mall) -> dict[str, Any]:
    await setup(mall)
    placed = await place(mall, {"method": "pickup", "store_id": "sto_lake"})
    assert (placed["status"], placed["payable_fen"]) == ("AWAITING_PAYMENT", 10_000)  # no freight for pickup
    order = await (await mall.gateway.get(f"/api/orders/{placed['id']}", headers=mall.user())).json()
    assert "pickup" not in order  # no code before it is paid
    return await pay(mall, placed, lambda found: bool(found.get("pickup")))


async def place(mall: Mall, delivery: dict[str, Any]) -> dict[str, Any]:
    resp = await mall.gateway.post("/api/orders", json={"items": [{"sku_id": "sku_tea", "qty": 2}],
                                                        "delivery": delivery},
                                   headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def pay(mall: Mall, placed: dict[str, Any], done: Any) -> dict[str, Any]:
    """Pay through the Alipay sandbox; the order once PAID and `done(order)`."""
    gw, alice = mall.gateway, mall.user()
    resp = await gw.post(f"/api/orders/{placed['id']}/pay", json={"method": "alipay"},
                         headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status in (200, 201), await resp.text()
    trade = await resp.json()
    paid = await mall.sandbox.post(f"/sandbox/trades/{trade['trade_no']}/pay", json={})
    assert paid.status == 200, await paid.text()

    async def with_code() -> dict[str, Any] | None:
        found = await (await gw.get(f"/api/orders/{placed['id']}", headers=alice)).json()
        return found if found["status"] == "PAID" and done(found) else None

    return await eventually(with_code, timeout=20)


async def test_pickup_code_is_verified_once_at_the_merchants_store_and_completes_the_order(mall: Mall) -> None:
    gw, staff = mall.gateway, mall.staff()
    order = await paid_pickup_order(mall)
    pickup = order["pickup"]
    assert pickup["code"].isdigit() and len(pickup["code"]) == 8
    assert pickup["qr_text"] == f"mpmall:pickup:{pickup['code']}" and pickup["store_id"] == "sto_lake"
    bob = await gw.get(f"/api/orders/{order['id']}", headers=mall.user("u_bob"))
    assert bob.status == 404  # the code is only ever shown to the buyer

    ready_path = f"/api/merchant/orders/{order['id']}/ready"
    other = await gw.post(ready_path, headers=mall.staff("mch_002"))
    assert (other.status, (await other.json())["code"]) == (404, "order_not_found")
    for _ in range(2):  # ready twice is the same answer
        resp = await gw.post(ready_path, headers=staff)
        assert resp.status == 200 and (await resp.json())["state"] == "ready"

    async def ready_for_pickup() -> bool:  # orders moves the order on pickup.ready
        found = await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user())).json()
        return found["status"] == "READY_FOR_PICKUP"

    await eventually(ready_for_pickup, timeout=15)

    async def verify(body: dict[str, str], who: dict[str, str] = staff) -> Any:
        return await gw.post("/api/merchant/pickups/verify", json=body,
                             headers={**who, "Idempotency-Key": uuid.uuid4().hex})

    refusals = [({"code": pickup["code"], "store_id": "sto_lake"}, mall.staff("mch_002")),  # another merchant
                ({"code": pickup["code"], "store_id": "sto_other"}, mall.staff("mch_002")),
                ({"code": pickup["code"], "store_id": "sto_nope"}, staff),  # not the store the buyer chose
                ({"code": "00000000" if pickup["code"] != "00000000" else "11111111", "store_id": "sto_lake"}, staff)]
    for body, who in refusals:
        resp = await verify(body, who)
        assert (resp.status, (await resp.json())["code"]) == (404, "pickup_not_found"), body
        assert "mch_001" not in await resp.text()

    # Two counters at once, one typing the code, one scanning the QR: one pickup.
    replies = await asyncio.gather(verify({"code": pickup["code"], "store_id": "sto_lake"}),
                                   verify({"code": pickup["qr_text"], "store_id": "sto_lake"}))
    assert sorted(r.status for r in replies) == [200, 409]
    refused = next(r for r in replies if r.status == 409)
    assert (await refused.json())["code"] == "pickup_already_verified"

    async def completed() -> bool:
        found = await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user())).json()
        return found["status"] == "COMPLETED" and found["pickup"]["state"] == "picked_up"

    await eventually(completed, timeout=15)
    again = await verify({"code": pickup["code"], "store_id": "sto_lake"})
    assert (again.status, (await again.json())["code"]) == (409, "pickup_already_verified")

    today = date.today()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    async def counted() -> Any:  # analytics learns the pickup from order.paid and order.picked_up
        resp = await gw.get("/api/merchant/metrics", params=span, headers=staff)
        assert resp.status == 200, await resp.text()
        metrics = (await resp.json())["fulfilment"]
        return metrics if metrics["to_picked_up"]["orders"] == 1 else None

    metrics = await eventually(counted, timeout=15)
    assert metrics["pickup"]["by_store"] == [{"store_id": "sto_lake", "orders": 1, "share": 1.0}]
    assert metrics["to_picked_up"]["median_s"] >= 0
    resp = await gw.post(ready_path, headers=staff)
    assert (resp.status, (await resp.json())["code"]) == (409, "pickup_closed")


async def test_ready_is_for_paid_pickup_orders_only(mall: Mall) -> None:
    await setup(mall)
    gw, staff = mall.gateway, mall.staff()
    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_tea", "qty": 1}],
                                              "delivery": {"method": "pickup", "store_id": "sto_lake"}},
                         headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    unpaid = await resp.json()

    async def not_paid() -> bool:  # fulfilment learns the delivery from order.placed
        resp = await gw.post(f"/api/merchant/orders/{unpaid['id']}/ready", headers=staff)
        return resp.status == 409 and (await resp.json())["code"] == "order_not_paid"

    await eventually(not_paid, timeout=15)
    home = (await (await gw.get("/api/me/addresses", headers=mall.user())).json())["items"][0]
    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_tea", "qty": 1}],
                                              "delivery": {"method": "express", "address_id": home["id"]}},
                         headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    express = await resp.json()

    async def not_pickup() -> bool:
        resp = await gw.post(f"/api/merchant/orders/{express['id']}/ready", headers=staff)
        return resp.status == 409 and (await resp.json())["code"] == "not_a_pickup_order"

    await eventually(not_pickup, timeout=15)


async def test_a_partly_refunded_pickup_hands_over_the_rest_and_a_refunded_one_nothing(mall: Mall) -> None:
    gw, alice, staff = mall.gateway, mall.user(), mall.staff()
    order = await paid_pickup_order(mall)  # 2 × sku_tea
    line = order["lines"][0]
    assert (line["qty"], line["refunded_qty"], line["remaining_qty"]) == (2, 0, 2)
    resp = await gw.post(f"/api/orders/{order['id']}/refund", json={
        "reason": "少要一件", "lines": [{"line_id": line["id"], "qty": 1}]},
        headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()

    async def partly_refunded() -> dict[str, Any] | None:
        found = await (await gw.get(f"/api/orders/{order['id']}", headers=alice)).json()
        return found if found["refunds"][0]["status"] == "refunded" else None

    found = await eventually(partly_refunded, timeout=20)
    assert (found["status"], found["lines"][0]["remaining_qty"]) == ("PAID", 1)
    resp = await gw.post("/api/merchant/pickups/verify", json={"code": order["pickup"]["code"], "store_id": "sto_lake"},
                         headers={**staff, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    verified = await resp.json()
    assert verified["state"] == "picked_up"
    assert [(ln["line_id"], ln["qty"], ln["remaining_qty"]) for ln in verified["lines"]] == [(line["id"], 2, 1)]

    # Every unit refunded: the code is refused with its own code (not a wrong code, not counted as a guess)
    whole = await pay(mall, await place(mall, {"method": "pickup", "store_id": "sto_lake"}),
                      lambda found: bool(found.get("pickup")))
    resp = await gw.post(f"/api/orders/{whole['id']}/refund", json={"reason": "不要了"},
                         headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()

    async def closed() -> bool:  # fulfilment closes the code on order.refund_approved
        found = await (await gw.get(f"/api/orders/{whole['id']}", headers=alice)).json()
        return bool(found["status"] == "REFUNDED" and found["pickup"]["state"] == "cancelled")

    await eventually(closed, timeout=20)
    resp = await gw.post("/api/merchant/pickups/verify",
                         json={"code": whole["pickup"]["code"], "store_id": "sto_lake"}, headers=staff)
    assert (resp.status, (await resp.json())["code"]) == (409, "pickup_refunded")
