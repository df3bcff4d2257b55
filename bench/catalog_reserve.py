"""Reservations per second on one hot SKU, beside a raw conditional UPDATE loop, in the same run.

    python bench/catalog_reserve.py [--orders 2000] [--concurrency 32] [--bus]

Creates a scratch database (dropped afterwards) with the catalog schema, one SKU with as many units as
orders, then measures:
  raw      `UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1`, autocommit,
           from `concurrency` tasks: the floor cost of the row lock everyone queues on;
  handler  the real path without the broker: inbox row + conditional decrement + reservation row +
           stock.reserved in the outbox, one transaction per order (Consumer.handle);
  bus      (with --bus) order.placed published to RabbitMQ and consumed by a running catalog app,
           timed until every order has its stock.reserved in the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import delete_bus, scratch_database  # noqa: E402
from services.catalog.app import create_app  # noqa: E402
from services.catalog.flows import catalogue as commands  # noqa: E402
from services.catalog.flows.catalogue import ProductDraft, SkuDraft  # noqa: E402
from services.catalog.flows.stock import reserve_order  # noqa: E402
from services.catalog.settings import CatalogSettings  # noqa: E402
from shared.bus import Bus  # noqa: E402
from shared.db import Database, Tx, bootstrap, create_pool, service_dsn  # noqa: E402
from shared.events.base import Event  # noqa: E402
from shared.events.common import Line  # noqa: E402
from shared.events.orders import OrderPlaced  # noqa: E402
from shared.inbox import Consumer  # noqa: E402

PRICE = 99_900


def order(sku_id: str) -> Event[OrderPlaced]:
    # A buyer per order, as in a rush: the catalog app holds one buyer to max_unpaid_units_per_sku of a SKU.
    data = OrderPlaced(order_id=f"ord_{uuid.uuid4().hex[:16]}", user_id=f"u_{uuid.uuid4().hex[:8]}",
                       merchant_id="mch_bench",
                       lines=[Line(sku_id=sku_id, product_id="p", qty=1, unit_price_fen=PRICE)], subtotal_fen=PRICE)
    return Event.wrap(data, producer="orders")


async def hot_sku(db: Database, units: int) -> str:
    sku = SkuDraft(specs={"版本": "秒杀"}, price_fen=PRICE, stock=units)
    async with db.transaction() as tx:
        await commands.save_merchant(tx, "mch_bench", "压测商户")
        await commands.save_product(tx, ProductDraft(merchant_id="mch_bench", name="秒杀手机", category_id=None,
                                                     skus=[sku]))
    return sku.id


async def run_concurrently(count: int, concurrency: int, work) -> float:  # noqa: ANN001
    queue = iter(range(count))

    async def worker() -> None:
        for _ in queue:
            await work()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


async def bench_raw(db: Database, orders: int, concurrency: int) -> float:
    sku_id = await hot_sku(db, orders)

    async def take() -> None:
        await db.execute("UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1", sku_id)

    seconds = await run_concurrently(orders, concurrency, take)
    assert await db.fetchval("SELECT available FROM skus WHERE id = $1", sku_id) == 0
    return orders / seconds


async def bench_handler(db: Database, orders: int, concurrency: int) -> float:
    sku_id = await hot_sku(db, orders)
    consumer = Consumer(db, bus=None)  # type: ignore[arg-type]  # handle() never touches the bus

    async def reserve_placed(tx: Tx, event: Event[OrderPlaced]) -> None:
        await reserve_order(tx, event.data, None)  # the handler's work without the per-buyer cap

    async def reserve() -> None:
        await consumer.handle(order(sku_id), reserve_placed)

    seconds = await run_concurrently(orders, concurrency, reserve)
    assert await db.fetchval("SELECT reserved FROM skus WHERE id = $1", sku_id) == orders
    return orders / seconds


async def bench_bus(admin_dsn: str, amqp_url: str, orders: int) -> float:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    # development: no internal token, as nothing but the bus calls it (a production app refuses to start)
    settings = CatalogSettings(database_url=admin_dsn, amqp_url=amqp_url, bus_prefix=prefix, db_pool_max=20,
                               env="development")
    app = create_app(settings)
    from aiohttp.test_utils import TestServer

    server = TestServer(app)
    await server.start_server()
    publisher = Bus(amqp_url, prefix=prefix, service="orders")
    await publisher.connect()
    try:
        from shared.service import DB

        db = app[DB]
        sku_id = await hot_sku(db, orders)
        before = await db.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'stock.reserved'")
        started = time.perf_counter()
        await asyncio.gather(*(publisher.publish_event(order(sku_id)) for _ in range(orders)))
        while await db.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'stock.reserved'") - before < orders:
            await asyncio.sleep(0.02)
        return orders / (time.perf_counter() - started)
    finally:
        await publisher.close()
        await server.close()
        await delete_bus(prefix, amqp_url)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--amqp-url", default=os.environ.get("MALL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--bus", action="store_true", help="also measure the full path through RabbitMQ")
    args = parser.parse_args()

    async with scratch_database(args.database_url) as database:
        dsn = database.url
        await bootstrap(dsn, "catalog")
        pool = await create_pool(service_dsn(dsn, "catalog"), "catalog", max_size=args.concurrency)
        db = Database(pool, "catalog")
        await bench_raw(db, 200, args.concurrency)  # warm up connections and plans
        raw = await bench_raw(db, args.orders, args.concurrency)
        handler = await bench_handler(db, args.orders, args.concurrency)
        await pool.close()
        print(f"orders={args.orders} concurrency={args.concurrency} (one hot SKU)")
        print(f"raw conditional UPDATE loop : {raw:8.0f} updates/s")
        print(f"reservation (inbox+handler) : {handler:8.0f} reservations/s  ({handler / raw:.0%} of raw)")
        if args.bus:
            through_bus = await bench_bus(dsn, args.amqp_url, args.orders)
            print(f"reservation through the bus : {through_bus:8.0f} reservations/s  ({through_bus / raw:.0%} of raw)")


if __name__ == "__main__":
    asyncio.run(main())
