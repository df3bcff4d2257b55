"""Tracking through 快递100's subscribe-and-push protocol, on the real services and the logistics sandbox:
the shipped waybill is subscribed by fulfilment's job, the sandbox pushes signed updates to the gateway,
fulfilment keeps each line once, "delivered" makes the order DELIVERED and restarts auto-confirm."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.clock import ManualClock
from shared.kuaidi100 import sign
from shared.service import DB
from tests.integration.gateway.conftest import KUAIDI100_SALT, Mall
from tests.integration.gateway.test_delivery import setup
from tests.integration.gateway.test_pickup import pay, place
from tests.support import eventually

WAYBILL = "SF1234567890123"
SEVEN_DAYS = timedelta(days=7)


@pytest.fixture
def orders_clock() -> ManualClock:
    return ManualClock()


async def shipped_order(mall: Mall) -> dict[str, Any]:
    """A paid express order shipped with a 顺丰 waybill, once fulfilment has subscribed it at the sandbox."""
    home = (await setup(mall))["home"]
    order = await pay(mall, await place(mall, {"method": "express", "address_id": home["id"]}), lambda _: True)
    resp = await mall.gateway.post(f"/api/merchant/orders/{order['id']}/ship", headers={
        **mall.staff(), "Idempotency-Key": uuid.uuid4().hex}, json={"carrier": "shunfeng", "tracking_no": WAYBILL})
    assert resp.status == 200, await resp.text()
    assert mall.logistics is not None

    async def subscribed() -> dict[str, Any] | None:
        found = await mall.logistics.get(f"/sandbox/shipments/shunfeng/{WAYBILL}")  # type: ignore[union-attr]
        return await found.json() if found.status == 200 else None

    shipment = await eventually(subscribed, timeout=15)
    assert shipment["callbackurl"].endswith("/api/logistics/notify")
    return dict(await (await mall.gateway.get(f"/api/orders/{order['id']}", headers=mall.user())).json())


async def tracking(mall: Mall, order_id: str) -> dict[str, Any]:
    resp = await mall.gateway.get(f"/api/orders/{order_id}/tracking", headers=mall.user())
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def advance(mall: Mall, state: str, *, repush: bool = False) -> int:
    """The sandbox's courier moves the parcel (or pushes the last update again); waits until the mall answered
    the push with result true. Returns how many pushes the sandbox has made for the waybill."""
    assert mall.logistics is not None
    base = f"/sandbox/shipments/shunfeng/{WAYBILL}"
    resp = await (mall.logistics.post(f"{base}/repush") if repush else
                  mall.logistics.post(f"{base}/advance", json={"state": state}))
    assert resp.status == 200, await resp.text()

    async def answered() -> int | None:
        pushes = (await (await mall.logistics.get(base)).json())["pushes"]  # type: ignore[union-attr]
        return len(pushes) if all(p["delivered"] for p in pushes) else None

    return int(await eventually(answered, timeout=15))


async def order_status(mall: Mall, order_id: str) -> dict[str, Any]:
    return dict(await (await mall.gateway.get(f"/api/orders/{order_id}", headers=mall.user())).json())


async def test_transit_then_delivered_makes_the_order_delivered_and_auto_confirm_counts_from_delivery(
        mall: Mall, orders_clock: ManualClock) -> None:
    order = await shipped_order(mall)
    first_deadline = datetime.fromisoformat(order["auto_confirm_at"])
    await advance(mall, "0")
    seen = await tracking(mall, order["id"])
    assert seen["state"] == "in_transit" and len(seen["events"]) == 2
    assert seen["events"][0]["text"].startswith("快件已到达")  # newest first
    await advance(mall, "5")
    assert (await tracking(mall, order["id"]))["state"] == "out_for_delivery"

    orders_clock.advance(days=3)  # three days on the road
    await advance(mall, "3")
    seen = await tracking(mall, order["id"])
    assert seen["state"] == "delivered"
    assert [e["text"][:5] for e in seen["events"]] == ["快件已签收", "快件正在派", "快件已到达", "商家已发货"]

    async def delivered() -> dict[str, Any] | None:
        found = await order_status(mall, order["id"])
        return found if found["status"] == "DELIVERED" else None

    found = await eventually(delivered, timeout=15)
    restarted = datetime.fromisoformat(found["auto_confirm_at"])
    assert restarted == datetime.fromisoformat(found["delivered_at"]) + SEVEN_DAYS
    assert restarted == first_deadline + timedelta(days=3)  # counted from delivery, not from shipping

    orders_clock.advance(days=7, seconds=1)  # the buyer never confirmed: the deadline job completes it

    async def completed() -> bool:
        return (await order_status(mall, order["id"]))["status"] == "COMPLETED"

    await eventually(completed, timeout=15)


async def test_the_same_push_twice_is_one_tracking_event(mall: Mall) -> None:
    order = await shipped_order(mall)
    assert await advance(mall, "0") == 1
    once = await tracking(mall, order["id"])
    assert await advance(mall, "0", repush=True) == 2  # 快递100 pushes the same track again
    again = await tracking(mall, order["id"])
    assert again == once and len(again["events"]) == 2


async def test_a_push_with_a_bad_signature_changes_nothing(mall: Mall) -> None:
    order = await shipped_order(mall)
    before = await tracking(mall, order["id"])
    param = json.dumps({"status": "shutdown", "message": "", "lastResult": {
        "state": "3", "ischeck": "1", "com": "shunfeng", "nu": WAYBILL,
        "data": [{"time": "2026-01-02 10:00:00", "context": "快件已签收（伪造）", "ftime": "2026-01-02 10:00:00"}]}},
        ensure_ascii=False)
    forged = [{"param": param, "sign": sign(param, "not-the-mall-salt")},  # signed with another salt
              {"param": param.replace("伪造", "改"), "sign": sign(param, KUAIDI100_SALT)},  # tampered after signing
              {"param": param}]  # not signed at all
    for form in forged:
        resp = await mall.gateway.post("/api/logistics/notify", data=form)
        assert resp.status == 400
        assert (await resp.json())["result"] is False
    assert await tracking(mall, order["id"]) == before
    assert (await order_status(mall, order["id"]))["status"] == "SHIPPED"
    # The same push signed with the mall's salt is taken: the refusals above were about the signature only.
    resp = await mall.gateway.post("/api/logistics/notify", data={"param": param, "sign": sign(param, KUAIDI100_SALT)})
    assert (resp.status, await resp.json()) == (200, {"result": True, "returnCode": "200", "message": "成功"})
    assert (await tracking(mall, order["id"]))["state"] == "delivered"


async def test_a_push_for_an_unknown_waybill_is_answered_and_changes_nothing(mall: Mall) -> None:
    order = await shipped_order(mall)
    before = await tracking(mall, order["id"])
    # Signed for, but of a waybill the mall never shipped (another carrier, and our number at another carrier).
    for com, nu in (("yuantong", "YT0000000000000"), ("zhongtong", WAYBILL)):
        param = json.dumps({"status": "shutdown", "lastResult": {"state": "3", "com": com, "nu": nu, "data": [
            {"time": "2026-01-02 10:00:00", "context": "快件已签收", "ftime": "2026-01-02 10:00:00"}]}},
            ensure_ascii=False)
        resp = await mall.gateway.post("/api/logistics/notify",
                                       data={"param": param, "sign": sign(param, KUAIDI100_SALT)})
        assert (resp.status, (await resp.json())["result"]) == (200, True)  # so 快递100 stops pushing it
    assert await tracking(mall, order["id"]) == before
    assert (await order_status(mall, order["id"]))["status"] == "SHIPPED"
    db = mall.services["fulfilment"].server.app[DB]
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'shipment.delivered'") == 0
