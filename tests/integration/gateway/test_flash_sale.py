"""A flash sale (秒杀) through the gateway on the real services: the buyer is admitted by catalog before the
order is placed, so a buyer refused (sold out, over the limit) is told at once and gets no order; an admitted
buyer's order waits for payment, a retry of the same placement is the same order, and a cancelled order's
unit is bought by the next buyer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup
from tests.support import eventually

PICKUP = {"method": "pickup", "store_id": "sto_lake"}


async def place(mall: Mall, sale_id: str, user: str, key: str | None = None) -> tuple[int, dict[str, Any]]:
    resp = await mall.gateway.post("/api/orders",
                                   headers={**mall.user(user), "Idempotency-Key": key or uuid.uuid4().hex},
                                   json={"items": [{"sku_id": "sku_tea", "qty": 1}], "flash_sale_id": sale_id,
                                         "delivery": PICKUP})
    order = dict(await resp.json())
    if resp.status == 201 and order["status"] == "PENDING":  # the saga outran the gateway's wait (a busy machine)
        async def settled() -> dict[str, Any] | None:
            seen = dict(await (await mall.gateway.get(f"/api/orders/{order['id']}", headers=mall.user(user))).json())
            return seen if seen["status"] != "PENDING" else None

        order = await eventually(settled, timeout=20)
    return resp.status, order


async def running_sale(mall: Mall, quantity: int) -> str:
    """The demo shop with a running sale of `quantity` units of sku_tea (one per buyer) that orders already
    prices; its id."""
    gw = mall.gateway
    await setup(mall)
    now = datetime.now(UTC)
    resp = await gw.post("/api/merchant/flash-sales", headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex},
                         json={"sku_id": "sku_tea", "price_fen": 1_000, "quantity": quantity, "per_buyer_limit": 1,
                               "starts_at": (now - timedelta(minutes=1)).isoformat(),
                               "ends_at": (now + timedelta(hours=1)).isoformat()})
    assert resp.status == 201, await resp.text()
    sale_id: str = (await resp.json())["id"]

    async def priced() -> bool:  # orders learns of the sale from flash_sale.scheduled
        resp = await gw.post("/api/checkout/preview", headers=mall.user(), json={
            "items": [{"sku_id": "sku_tea", "qty": 1}], "flash_sale_id": sale_id})
        return resp.status == 200

    await eventually(priced, timeout=15)
    return sale_id


async def test_buyers_are_admitted_before_their_orders_exist(mall: Mall) -> None:
    gw = mall.gateway
    sale_id = await running_sale(mall, 2)

    status, alice = await place(mall, sale_id, "u_alice", key="alice-1")
    assert (status, alice["status"]) == (201, "AWAITING_PAYMENT"), alice
    status, again = await place(mall, sale_id, "u_alice", key="alice-1")  # the same placement, retried
    assert (status, again["id"]) == (201, alice["id"])
    status, greedy = await place(mall, sale_id, "u_alice")
    assert (status, greedy["code"]) == (409, "flash_sale_limit")
    status, bob = await place(mall, sale_id, "u_bob")
    assert (status, bob["status"]) == (201, "AWAITING_PAYMENT"), bob
    status, carol = await place(mall, sale_id, "u_carol")
    assert (status, carol["code"]) == (409, "flash_sale_sold_out")
    assert (await (await gw.get("/api/orders", headers=mall.user("u_carol"))).json())["items"] == []

    # Alice changes her mind: her unit goes back to the sale, and Carol gets it.
    resp = await gw.post(f"/api/orders/{alice['id']}/cancel",
                         headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()

    async def carol_buys() -> dict[str, Any] | None:
        status, order = await place(mall, sale_id, "u_carol")
        return order if status == 201 else None

    carol = await eventually(carol_buys, timeout=15)
    assert carol["status"] == "AWAITING_PAYMENT"
