"""Shipping an express order with a carrier and tracking number through the gateway, and its tracking."""

from __future__ import annotations

import uuid

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup
from tests.integration.gateway.test_pickup import pay, place
from tests.support import eventually


async def test_an_express_order_ships_with_a_checked_waybill_and_shows_its_tracking(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    gw, staff = mall.gateway, mall.staff()
    order = await pay(mall, await place(mall, {"method": "express", "address_id": home["id"]}), lambda _: True)
    ship_path = f"/api/merchant/orders/{order['id']}/ship"

    async def ship(body: dict[str, str], who: dict[str, str] = staff) -> tuple[int, dict[str, str]]:
        resp = await gw.post(ship_path, json=body, headers={**who, "Idempotency-Key": uuid.uuid4().hex})
        return resp.status, await resp.json()

    refusals = [({"carrier": "shunfeng", "tracking_no": "1234"}, staff, 422, "invalid_tracking_no"),
                ({"carrier": "dhl", "tracking_no": "SF1234567890123"}, staff, 422, "unknown_carrier"),
                ({"carrier": "shunfeng"}, staff, 422, "waybill_incomplete"),
                ({"carrier": "shunfeng", "tracking_no": "SF1234567890123"}, mall.staff("mch_002"), 404,
                 "order_not_found")]
    for body, who, status, code in refusals:
        got = await ship(body, who)
        assert (got[0], got[1]["code"]) == (status, code), body
    assert (await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user())).json())["status"] == "PAID"

    status, shipped = await ship({"carrier": "shunfeng", "tracking_no": "sf1234567890123"})
    assert (status, shipped["status"]) == (200, "SHIPPED")

    async def tracked() -> dict[str, object] | None:
        resp = await gw.get(f"/api/orders/{order['id']}/tracking", headers=mall.user())
        return await resp.json() if resp.status == 200 else None

    tracking = await eventually(tracked, timeout=15)  # fulfilment learns the waybill from order.shipped
    assert (tracking["carrier"], tracking["tracking_no"], tracking["state"]) == ("shunfeng", "SF1234567890123",
                                                                                 "shipped")
    assert [e["text"] for e in tracking["events"]] == ["商家已发货，顺丰速运 SF1234567890123"]  # type: ignore[union-attr]
    seen = await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user())).json()
    assert seen["shipment"]["carrier"] == "shunfeng" and seen["shipment"]["tracking_no"] == "SF1234567890123"
    other = await gw.get(f"/api/orders/{order['id']}/tracking", headers=mall.user("u_bob"))
    assert (other.status, (await other.json())["code"]) == (404, "tracking_not_found")


async def test_a_pickup_order_is_not_shipped(mall: Mall) -> None:
    await setup(mall)
    order = await pay(mall, await place(mall, {"method": "pickup", "store_id": "sto_lake"}),
                      lambda found: bool(found.get("pickup")))
    for body in ({"carrier": "shunfeng", "tracking_no": "SF1234567890123"}, {}):
        resp = await mall.gateway.post(f"/api/merchant/orders/{order['id']}/ship", json=body,
                                       headers=mall.staff())
        assert (resp.status, (await resp.json())["code"]) == (409, "pickup_order"), body
