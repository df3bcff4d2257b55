"""What `GET /orders/{id}?wait_ms=` costs while it waits: database transactions and orders' CPU.

    python bench/waits.py [--waiters 20] [--seconds 3]

Creates a scratch database (dropped afterwards) with the orders schema and runs the orders app in this
process. Places `waiters` orders that stay PENDING (no catalog answers), then measures two windows of the
same length: idle (nothing waits) and waiting (`waiters` requests held `seconds` each, all at once). Figures
per window: transactions committed in the scratch database (pg_stat_database, read after stats are flushed)
and CPU seconds of this process; the waiting cost is the difference. Run it on an older commit (copy this
file there) to compare with polling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import scratch_database  # noqa: E402
from services.orders import store  # noqa: E402
from services.orders.app import create_app  # noqa: E402
from services.orders.settings import OrdersSettings  # noqa: E402
from shared.db import bootstrap  # noqa: E402
from shared.events.catalog import SkuChanged  # noqa: E402
from shared.service import BUS, DB  # noqa: E402

FLUSH_SECONDS = 2.5  # a backend reports its statistics at most once a second, when idle


async def counters(admin: asyncpg.Connection, name: str) -> tuple[int, float]:
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    commits = await admin.fetchval("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
                                   name)
    return int(commits), time.process_time()


async def window(admin: asyncpg.Connection, name: str, work: Callable[[], Awaitable[None]] | None,
                 seconds: float) -> tuple[int, float]:
    """Transactions and CPU seconds from now until `seconds` later (or `work` done) plus the flush delay."""
    await asyncio.sleep(FLUSH_SECONDS)
    commits, cpu = await counters(admin, name)
    if work is None:
        await asyncio.sleep(seconds)
    else:
        started = time.perf_counter()
        await work()
        print(f"  (the waits took {time.perf_counter() - started:.2f} s)")
    await asyncio.sleep(FLUSH_SECONDS)
    after_commits, after_cpu = await counters(admin, name)
    return after_commits - commits - 1, after_cpu - cpu  # minus our own snapshot read


async def measure(dsn: str, amqp_url: str, admin: asyncpg.Connection, name: str, waiters: int,
                  seconds: float) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:6]}."
    # development: called directly, without the gateway's internal token (a production app refuses to start)
    settings = OrdersSettings(database_url=dsn, amqp_url=amqp_url, bus_prefix=prefix, max_wait_ms=60_000,
                              deadline_poll_seconds=3600, env="development")
    app = create_app(settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        async with app[DB].transaction() as tx:
            await store.upsert_sku(tx.conn, SkuChanged(
                sku_id="s1", product_id="p1", merchant_id="m1", category_id=None, name="伞", specs={},
                price_fen=1000, sellable=True, revision=1))
        ids = []
        for i in range(waiters):
            resp = await client.post("/orders", json={"items": [{"sku_id": "s1", "qty": 1}]},
                                     headers={"X-User-Id": f"u{i}", "Idempotency-Key": uuid.uuid4().hex})
            assert resp.status == 201, await resp.text()
            ids.append((await resp.json())["id"])

        async def wait_all() -> None:
            async def one(i: int, order_id: str) -> None:
                resp = await client.get(f"/orders/{order_id}", params={"wait_ms": int(seconds * 1000)},
                                        headers={"X-User-Id": f"u{i}"})
                assert (await resp.json())["status"] == "PENDING"

            await asyncio.gather(*(one(i, order_id) for i, order_id in enumerate(ids)))

        idle = await window(admin, name, None, seconds)
        print(f"{waiters} requests waiting {seconds:.1f} s each")
        busy = await window(admin, name, wait_all, seconds)
        commits, cpu = busy[0] - idle[0], busy[1] - idle[1]
        print(f"  idle window    : {idle[0]:6d} transactions, {idle[1]:6.3f} CPU s")
        print(f"  waiting window : {busy[0]:6d} transactions, {busy[1]:6.3f} CPU s")
        print(f"  cost of waits  : {commits:6d} transactions ({commits / waiters:.1f} per request), "
              f"{cpu:.3f} CPU s ({cpu / seconds:.1%} of a CPU while they waited)")
    finally:
        await app[BUS].delete_topology()
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--amqp-url", default=os.environ.get("MALL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--waiters", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    async with scratch_database(args.database_url) as database:
        await bootstrap(database.url, "orders")
        await measure(database.url, args.amqp_url, database.admin, database.name, args.waiters, args.seconds)


if __name__ == "__main__":
    asyncio.run(main())
