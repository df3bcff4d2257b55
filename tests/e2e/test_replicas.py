"""Two processes of every service (`python -m deploy.local up --replicas 2`), on real PostgreSQL and RabbitMQ,
driven through the gateway only: both replicas of a service consume its one queue, a session opened on one
gateway holds on the other (and a logout on one ends it on both), a purchase works across them, a replica of
orders killed (SIGKILL) while buyers place orders loses nothing and does nothing twice, and once it is back,
each unpaid order's deadline is acted on once although both orders replicas run the deadline job."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import pytest

from deploy.local import REPLICATED, SERVICES, LocalMall
from shared.bus import every_queue, queue_names
from tests.conftest import remember_queues
from tests.e2e.test_purchase_journey import Client, sku_of, wait_status
from tests.support import eventually

pytestmark = pytest.mark.e2e
PAY_TIMEOUT_SECONDS = 10
BUYERS, ORDERS_EACH = 4, 4  # within a buyer's limits: 5 unpaid orders, 5 unpaid units of one SKU


@pytest.fixture
async def mall(database_url: str, amqp_url: str, bus_prefix: str, output_dir: Path) -> AsyncIterator[LocalMall]:
    for service in SERVICES:
        names = queue_names(bus_prefix, service, [1_000, 5_000, 30_000])
        remember_queues(bus_prefix, every_queue(names))
    mall = LocalMall(database_url, amqp_url, bus_prefix=bus_prefix, replicas=2,
                     workdir=output_dir / "e2e" / bus_prefix.rstrip("."),
                     env={"MALL_PAY_TIMEOUT_SECONDS": str(PAY_TIMEOUT_SECONDS), "MALL_DEADLINE_POLL_SECONDS": "0.3",
                          "MALL_RATE_USER_LIMIT": "100000", "MALL_RATE_IP_LIMIT": "100000",
                          "MALL_OUTBOX_POLL_SECONDS": "0.2"})
    await mall.prepare()
    try:
        await mall.start()
        await mall.seed()
        yield mall
    finally:
        await mall.stop()


async def test_two_replicas_of_every_service(mall: LocalMall, database_url: str, amqp_url: str, bus_prefix: str):
    assert all(len(mall.urls(service)) == 2 for service in REPLICATED)
    await each_queue_has_both_replicas_consuming(amqp_url, bus_prefix)
    async with aiohttp.ClientSession() as http:
        alice = Client(http, mall.url("gateway"), mall.url("alipay_sandbox"))
        await alice.login("小红", 720)
        sku = await a_sku_in_stock(alice, at_least=BUYERS * ORDERS_EACH + 4)
        await a_purchase_works(alice, sku)
        # Alice, on the other gateway replica, is still logged in (sessions live in PostgreSQL).
        other = Client(http, mall.url("gateway", 1), mall.url("alipay_sandbox"))
        other.token = alice.token
        assert await other.call("GET", "/api/me") == await alice.call("GET", "/api/me")
        buyers = [alice]
        for n in range(1, BUYERS):
            buyers.append(Client(http, mall.url("gateway", n % 2), mall.url("alipay_sandbox")))
            await buyers[-1].login(f"买家{n}", 700)
        owner = {uuid.uuid4().hex: buyer for buyer in buyers for _ in range(ORDERS_EACH)}  # by Idempotency-Key
        placed = await orders_placed_while_a_replica_of_orders_is_killed(mall, owner, sku)
        await mall.start_replica("orders", 1)  # back, it shares the deadlines with the other replica
        await mall.wait_ready("orders", 1)
        await each_queue_has_both_replicas_consuming(amqp_url, bus_prefix)
        for key, order_id in placed.items():  # none paid: each is cancelled at its deadline, stock released
            cancelled = await wait_status(owner[key], order_id, "CANCELLED", timeout=PAY_TIMEOUT_SECONDS + 30)
            assert cancelled["reason"] == "payment_timeout"
        # A logout on one gateway replica ends the session on the other at once (the deny-list is shared).
        await other.call("DELETE", "/api/session", expect=204)
        assert (await alice.call("GET", "/api/me", expect=401))["code"] == "session_revoked"
    await nothing_lost_nothing_twice(database_url, placed, sku)


async def each_queue_has_both_replicas_consuming(amqp_url: str, prefix: str) -> None:
    # Waited for: on a busy machine a replica's broker connection may miss heartbeats and come back (robust
    # connections re-attach their consumers), so a single look can catch one replica between the two.
    await eventually(lambda: _both_consuming(amqp_url, prefix), timeout=30, interval=0.5)


async def _both_consuming(amqp_url: str, prefix: str) -> bool:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        consuming = {}
        for service in REPLICATED:
            try:
                queue = await channel.declare_queue(f"{prefix}{service}", passive=True)
            except aio_pika.exceptions.ChannelClosed:  # a service that handles no event has no queue
                channel = await connection.channel()
                continue
            consuming[service] = queue.declaration_result.consumer_count
    finally:
        await connection.close()
    assert {"catalog", "orders", "payments"} <= set(consuming), consuming
    assert all(count == 2 for count in consuming.values()), consuming  # shown if the wait runs out
    return True


async def a_sku_in_stock(client: Client, at_least: int) -> dict[str, Any]:
    found = await client.call("GET", "/api/search", params={"q": "erji"})
    for product in found["items"]:
        sku = await sku_of(client, product["id"])
        if sku["available"] >= at_least:
            return sku
    raise AssertionError(f"no earphones with {at_least} in stock")


async def a_purchase_works(alice: Client, sku: dict[str, Any]) -> None:
    order = await alice.call("POST", "/api/orders", expect=201, key=True,
                             json={"items": [{"sku_id": sku["id"], "qty": 1}], "entry": "search"})
    paying = await alice.call("POST", f"/api/orders/{order['id']}/pay", key=True, json={"method": "alipay"})
    await alice.buyer_pays(paying["trade_no"])
    await wait_status(alice, order["id"], "PAID")


async def orders_placed_while_a_replica_of_orders_is_killed(mall: LocalMall, owner: dict[str, Client],
                                                            sku: dict[str, Any]) -> dict[str, str]:
    """Buyers place orders at once; orders' replica 1 is SIGKILLed once the first answers came back. A client
    retries a 503 with the same Idempotency-Key, as the mini-program does. Returns order id by key."""
    answered = asyncio.Event()
    placed: dict[str, str] = {}
    statuses: list[int] = []

    async def place(buyer: Client, key: str) -> None:
        for _ in range(20):
            async with buyer.session.post(
                    buyer.gateway + "/api/orders", json={"items": [{"sku_id": sku["id"], "qty": 1}], "entry": "search"},
                    headers=buyer.headers(**{"Idempotency-Key": key})) as resp:
                statuses.append(resp.status)
                body = await resp.json(content_type=None)
            if resp.status in (200, 201):
                placed[key] = body["id"]
                answered.set()
                return
            assert resp.status == 503, (resp.status, body)  # transient only: never a 500 or a refusal
            await asyncio.sleep(0.5)
        raise AssertionError(f"order {key} never placed: {statuses}")

    placing = [asyncio.create_task(place(buyer, key)) for key, buyer in owner.items()]
    await answered.wait()
    await mall.kill("orders", 1)
    unanswered_at_the_kill = len(owner) - len(placed)
    await asyncio.gather(*placing)
    assert unanswered_at_the_kill > 0  # the kill came mid-run
    assert set(placed) == set(owner)
    return placed


async def nothing_lost_nothing_twice(database_url: str, placed: dict[str, str], sku: dict[str, Any]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        # One order per Idempotency-Key: the retries on the other replica answered from the stored key.
        assert len(set(placed.values())) == len(placed)
        ids = sorted(placed.values())
        # Each order.placed was reserved for once by catalog (either replica), and released once.
        reserved = await conn.fetch("SELECT order_id, qty, status FROM catalog.reservations "
                                    "WHERE order_id = ANY($1::text[]) ORDER BY order_id", ids)
        assert [(r["order_id"], r["qty"], r["status"]) for r in reserved] == [(i, 1, "released") for i in ids]
        # Each deadline was acted on once, though both orders replicas run the deadline job.
        cancelled = await conn.fetch(
            "SELECT convert_from(payload, 'UTF8')::jsonb->'data'->>'order_id' AS order_id FROM orders.outbox "
            "WHERE event_type = 'order.cancelled' ORDER BY 1")
        assert [r["order_id"] for r in cancelled] == ids
        # Stock is conserved: all released but the one paid for.
        row = await conn.fetchrow("SELECT available, reserved, sold FROM catalog.skus WHERE id = $1", sku["id"])
        assert (row["available"], row["reserved"], row["sold"]) == (sku["available"] - 1, 0, 1)
        # The relays (two per service) leave nothing unsent.
        unsent = " + ".join(f"(SELECT count(*) FROM {service}.outbox WHERE sent_at IS NULL)" for service in REPLICATED)
        await eventually(lambda: _is_zero(conn, f"SELECT {unsent}"), timeout=10, interval=0.3)
    finally:
        await conn.close()


async def _is_zero(conn: asyncpg.Connection, query: str) -> bool:
    return await conn.fetchval(query) == 0
