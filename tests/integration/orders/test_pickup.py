"""A pickup order through fulfilment's events: pickup.ready → READY_FOR_PICKUP with order.ready_for_pickup,
pickup.verified → COMPLETED with order.picked_up and order.completed, each once however often it arrives."""

from __future__ import annotations

from shared.events.fulfilment import PickupReady, PickupVerified
from tests.integration.orders.flow import awaiting_payment, payment
from tests.support import eventually


async def paid_pickup(mall) -> dict:
    order = await awaiting_payment(mall)
    await mall.publish(payment(order))
    return await mall.status_becomes(order["id"], "PAID")


def who(order: dict) -> dict:
    return {"order_id": order["id"], "user_id": order["user_id"], "merchant_id": order["merchant_id"],
            "store_id": "st1"}


async def test_ready_then_picked_up_moves_the_order_and_tells_everyone_once(mall):
    order = await paid_pickup(mall)
    await mall.publish(PickupReady(**who(order)), times=2)
    await mall.status_becomes(order["id"], "READY_FOR_PICKUP")
    [ready] = await mall.emitted("order.ready_for_pickup", order["id"])
    assert ready == who(order)

    await mall.publish(PickupVerified(**who(order)), times=2)
    await mall.status_becomes(order["id"], "COMPLETED")
    assert await mall.emitted("order.picked_up", order["id"]) == [who(order)]
    assert len(await mall.emitted("order.completed", order["id"])) == 1
    await mall.publish(PickupReady(**who(order)))  # late (a new id): the goods are gone
    assert await eventually(lambda: _handled(mall, "pickup.ready", 2), timeout=10)
    assert len(await mall.emitted("order.ready_for_pickup", order["id"])) == 1
    assert (await mall.order(order["id"]))["status"] == "COMPLETED"


async def test_picked_up_without_ready_completes_and_a_refunded_order_is_left_alone(mall):
    order = await paid_pickup(mall)
    await mall.publish(PickupVerified(**who(order)))
    await mall.status_becomes(order["id"], "COMPLETED")
    assert len(await mall.emitted("order.picked_up", order["id"])) == 1
    assert await mall.emitted("order.ready_for_pickup", order["id"]) == []

    waiting = await paid_pickup(mall)
    await mall.publish(PickupReady(**who(waiting)))
    await mall.status_becomes(waiting["id"], "READY_FOR_PICKUP")
    status, refunded = await mall.call("POST", f"/orders/{waiting['id']}/refund", key="r1", json={"reason": "late"})
    assert (status, refunded["status"]) == (201, "approved"), refunded  # never handed over: approved at once
    assert (await mall.order(waiting["id"]))["status"] == "REFUND_REQUESTED"
    [approved] = await mall.emitted("order.refund_approved", waiting["id"])  # never handed over: at once
    assert approved["amount_fen"] == waiting["payable_fen"]
    await mall.publish(PickupVerified(**who(waiting)))
    assert await eventually(lambda: _handled(mall, "pickup.verified", 2), timeout=10)
    assert (await mall.order(waiting["id"]))["status"] == "REFUND_REQUESTED"
    assert await mall.emitted("order.picked_up", waiting["id"]) == []


async def _handled(mall, event_type: str, count: int) -> bool:
    return await mall.db.fetchval("SELECT count(*) FROM inbox WHERE event_type = $1", event_type) >= count
