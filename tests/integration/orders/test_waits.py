"""GET /orders/{id}?wait_ms=: held until the saga decides, woken by the decision's commit through one shared
LISTEN connection (shared.changes), not by polling the database."""

from __future__ import annotations

import asyncio
import uuid

from services.orders.deps import deps_of
from shared.db import changes_channel
from shared.events.catalog import ReservedLine, StockRejected, StockReserved
from tests.support import eventually


async def test_waiting_gets_answer_at_the_decision_through_one_listener(mall):
    changes = deps_of(mall.client.server.app).changes
    placed = [await mall.place(user=f"u{i}") for i in range(3)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    gets = [asyncio.create_task(mall.order(p["id"], user=f"u{i}", wait_ms=5000)) for i, p in enumerate(placed)]
    await eventually(lambda: changes.listening and changes.waiting == 3)
    assert await mall.db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
        f'LISTEN "{changes_channel("orders")}"') == 1, "one LISTEN connection for every waiting request"

    await mall.publish(StockReserved(order_id=placed[0]["id"], lines=[ReservedLine(sku_id="s1", qty=2)]))
    await mall.publish(StockRejected(order_id=placed[1]["id"], reason="out_of_stock", sku_id="s1"))
    first, second = await gets[0], await gets[1]
    assert (first["status"], second["status"], second["reason"]) == ("AWAITING_PAYMENT", "CANCELLED", "out_of_stock")
    assert loop.time() - started < 4, "answered at the decision, not at the deadline"
    assert (await gets[2])["status"] == "PENDING"  # nothing decided it: the answer at the deadline
    assert loop.time() - started >= 5
    assert changes.waiting == 0



async def test_a_status_only_answer_waits_too_and_names_only_id_and_status(mall):
    placed = await mall.place()
    url, buyer = f"/orders/{placed['id']}", {"X-User-Id": "u1"}
    waiting = asyncio.create_task(mall.client.get(url, params={"fields": "status", "wait_ms": 5000}, headers=buyer))
    await mall.publish(StockReserved(order_id=placed["id"], lines=[ReservedLine(sku_id="s1", qty=2)]))
    resp = await waiting
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"id": placed["id"], "status": "AWAITING_PAYMENT"}
    other = await mall.client.get(url, params={"fields": "status"}, headers={"X-User-Id": "u2"})
    assert (other.status, (await other.json())["code"]) == (404, "order_not_found")  # another buyer's order
    bad = await mall.client.get(url, params={"fields": "lines"}, headers=buyer)
    assert bad.status == 422


async def test_a_placement_asked_to_wait_answers_the_sagas_decision_and_its_retry_the_same(mall):
    """POST /orders?wait_ms=: the gateway learns the decision in the placement's own round trip."""
    buyer = {"X-User-Id": "u7", "Idempotency-Key": uuid.uuid4().hex}
    body = {"items": [{"sku_id": "s1", "qty": 2}]}
    placing = asyncio.create_task(mall.client.post("/orders", params={"wait_ms": 5000}, json=body, headers=buyer))
    order_id = await eventually(lambda: mall.db.fetchval("SELECT id FROM orders WHERE user_id = 'u7'"))
    await mall.publish(StockReserved(order_id=order_id, lines=[ReservedLine(sku_id="s1", qty=2)]))
    resp = await placing
    assert resp.status == 201, await resp.text()
    decided = await mall.order(order_id, user="u7")
    assert await resp.json() == {"id": order_id, "status": "AWAITING_PAYMENT", "payable_fen": decided["payable_fen"],
                                 "reason": None, "group_buy": None}
    again = await mall.client.post("/orders", params={"wait_ms": 5000}, json=body, headers=buyer)  # a retry
    assert (again.status, await again.json()) == (201, await resp.json())
    assert await mall.db.fetchval("SELECT count(*) FROM orders WHERE user_id = 'u7'") == 1
