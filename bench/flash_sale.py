"""Flash-sale (秒杀) admissions per second on one hot sale, beside one transaction per reservation, in one run.

    python bench/flash_sale.py [--orders 4000] [--buyers 1000] [--concurrency 32]

Creates a scratch database (dropped afterwards) with the catalog schema and, for each measurement, a fresh
SKU with as many units as orders, then measures:
  raw       `UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1`, one autocommit
            transaction per reservation from `concurrency` tasks: the bare ceiling of one transaction per
            order on a single row (nothing else written);
  per-order the flash admission itself (order state, buyer's count, sale decrement, admission row,
            stock.reserved in the outbox, inbox row), one transaction per order (Consumer.handle);
  batched   the same orders as order.placed through RabbitMQ into a running catalog, whose inbox decides
            every message waiting in one transaction (the production path), timed from the first publish
            until every order has its answer in the outbox.
Buyers are drawn round-robin from `buyers` ids with a per-buyer limit high enough that all are admitted
(the limit's row is still taken and checked on every admission).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_reserve import _delete_queues, hot_sku, run_concurrently  # noqa: E402
from services.catalog.app import create_app  # noqa: E402
from services.catalog.flows import flash  # noqa: E402
from services.catalog.flows.stock import reserve_order  # noqa: E402
from services.catalog.settings import CatalogSettings  # noqa: E402
from shared.bus import Bus  # noqa: E402
from shared.db import Database, Tx, bootstrap, create_pool, service_dsn  # noqa: E402
from shared.events.base import Event  # noqa: E402
from shared.events.common import Line  # noqa: E402
from shared.events.orders import OrderPlaced  # noqa: E402
from shared.inbox import Consumer  # noqa: E402

SALE_PRICE = 49_900


async def hot_sale(db: Database, units: int) -> tuple[str, str]:
    sku_id = await hot_sku(db, units)
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        sale_id = await flash.schedule(tx, "mch_bench", sku_id=sku_id, price_fen=SALE_PRICE, quantity=units,
                                       per_buyer_limit=units, starts_at=now - timedelta(minutes=1),
                                       ends_at=now + timedelta(hours=1), now=now)
    return sale_id, sku_id


def flash_orders(sale_id: str, sku_id: str, count: int, buyers: int) -> list[Event[OrderPlaced]]:
    return [Event.wrap(OrderPlaced(
        order_id=f"ord_{uuid.uuid4().hex[:16]}", user_id=f"buyer{i % buyers}", merchant_id="mch_bench",
        lines=[Line(sku_id=sku_id, product_id="p", qty=1, unit_price_fen=SALE_PRICE, flash_sale_id=sale_id)],
        subtotal_fen=SALE_PRICE), producer="orders") for i in range(count)]


async def bench_raw(db: Database, orders: int, concurrency: int) -> float:
    sku_id = await hot_sku(db, orders)

    async def take() -> None:
        await db.execute("UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1", sku_id)

    seconds = await run_concurrently(orders, concurrency, take)
    assert await db.fetchval("SELECT available FROM skus WHERE id = $1", sku_id) == 0
    return orders / seconds


async def bench_per_order(db: Database, orders: int, buyers: int, concurrency: int) -> float:
    sale_id, sku_id = await hot_sale(db, orders)
    events = iter(flash_orders(sale_id, sku_id, orders, buyers))
    consumer = Consumer(db, bus=None)  # type: ignore[arg-type]  # handle() never touches the bus

    async def admit(tx: Tx, event: Event[OrderPlaced]) -> None:
        await reserve_order(tx, event.data, None, event.occurred_at)

    async def one() -> None:
        await consumer.handle(next(events), admit)

    seconds = await run_concurrently(orders, concurrency, one)
    assert await db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale_id) == 0
    return orders / seconds


async def bench_batched(admin_dsn: str, amqp_url: str, orders: int, buyers: int) -> tuple[float, float]:
    """(admissions/s, mean events per inbox transaction)."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = CatalogSettings(database_url=admin_dsn, amqp_url=amqp_url, bus_prefix=prefix, db_pool_max=20)
    app = create_app(settings)
    from aiohttp.test_utils import TestServer

    from shared.service import DB

    server = TestServer(app)
    await server.start_server()
    publisher = Bus(amqp_url, prefix=prefix, service="orders")
    await publisher.connect()
    try:
        db = app[DB]
        sale_id, sku_id = await hot_sale(db, orders)
        events = flash_orders(sale_id, sku_id, orders, buyers)
        commits_before = await _commits(db)
        started = time.perf_counter()
        await asyncio.gather(*(publisher.publish_event(e) for e in events))
        print(f"published in {time.perf_counter() - started:.2f} s", file=sys.stderr)
        while await db.fetchval("SELECT count(*) FROM flash_admissions WHERE sale_id = $1", sale_id) < orders:
            await asyncio.sleep(0.01)
        seconds = time.perf_counter() - started
        commits = await _commits(db) - commits_before
        assert await db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale_id) == 0
        return orders / seconds, orders / max(commits, 1)
    finally:
        await publisher.close()
        await server.close()
        await _delete_queues(amqp_url, prefix, settings)


async def _commits(db: Database) -> int:
    """Transactions that wrote the inbox (its rows of one transaction share their xmin): one per batch."""
    return int(await db.fetchval("SELECT count(DISTINCT xmin::text) FROM inbox"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--amqp-url", default=os.environ.get("MALL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    name = f"mall_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.database_url)
    await admin.execute(f"CREATE DATABASE {name}")
    parts = args.database_url.rsplit("/", 1)
    dsn = f"{parts[0]}/{name}"
    try:
        await bootstrap(dsn, "catalog")
        pool = await create_pool(service_dsn(dsn, "catalog"), "catalog", max_size=args.concurrency)
        db = Database(pool, "catalog")
        await bench_raw(db, 200, args.concurrency)  # warm up connections and plans
        raw = await bench_raw(db, args.orders, args.concurrency)
        per_order = await bench_per_order(db, args.orders, args.buyers, args.concurrency)
        await pool.close()
        batched, per_tx = await bench_batched(dsn, args.amqp_url, args.orders, args.buyers)
        print(f"orders={args.orders} buyers={args.buyers} concurrency={args.concurrency} (one hot sale)")
        print(f"raw conditional UPDATE, 1 tx each   : {raw:8.0f} /s")
        print(f"flash admission, 1 tx per order     : {per_order:8.0f} /s  ({per_order / raw:.0%} of raw)")
        print(f"flash admission, batched via bus    : {batched:8.0f} /s  ({batched / raw:.0%} of raw; "
              f"~{per_tx:.0f} orders per transaction)")
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
