"""Flash-sale (秒杀) admissions per second on one hot sale, beside one transaction per reservation, in one run.

    python bench/flash_sale.py [--requests 4000] [--buyers 1000] [--concurrency 32] [--connections 32] [--rounds 3]

Creates a scratch database (dropped afterwards) with the catalog schema and, in each round, for each
measurement a fresh SKU (and sale) with as many units as requests, then measures, one after another:
  raw     `UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1`, one autocommit
          transaction per reservation from `concurrency` tasks sharing `connections` connections: the bare
          ceiling of one transaction per order on a single row (nothing else written);
  admitter `concurrency` tasks calling the batching admitter's entry point (`FlashAdmitter.admit`, what
          the HTTP handler calls) in a loop: each request waits for its batch's transaction (the sale's
          decrement, the buyers' counts, one admission row per request) to commit;
  http    the same through a running catalog's `POST /flash-sales/{id}/admissions` (the gateway's call),
          `concurrency` HTTP clients in this same process (so the client's own work is counted too).
Buyers are drawn round-robin from `buyers` ids with a per-buyer limit high enough that all are admitted
(every request still reads and raises its buyer's count). Each round runs the three in turn; the medians
of the rounds are printed with their ratio to raw, the load average and the commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog_reserve import hot_sku, run_concurrently  # noqa: E402
from bench.scratch import scratch_bus, scratch_database  # noqa: E402
from services.catalog.admitter import FlashAdmitter  # noqa: E402
from services.catalog.app import create_app  # noqa: E402
from services.catalog.domain import AdmissionRequest  # noqa: E402
from services.catalog.flows import flash  # noqa: E402
from services.catalog.settings import CatalogSettings  # noqa: E402
from shared.clock import Clock  # noqa: E402
from shared.db import Database, bootstrap, create_pool, service_dsn  # noqa: E402

SALE_PRICE = 49_900


async def hot_sale(db: Database, units: int) -> tuple[str, str]:
    sku_id = await hot_sku(db, units)
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        sale_id = await flash.schedule(tx, "mch_bench", sku_id=sku_id, price_fen=SALE_PRICE, quantity=units,
                                       per_buyer_limit=units, starts_at=now - timedelta(minutes=1),
                                       ends_at=now + timedelta(hours=1), now=now)
    return sale_id, sku_id


async def bench_raw(db: Database, requests: int, concurrency: int) -> float:
    sku_id = await hot_sku(db, requests)

    async def take() -> None:
        await db.execute("UPDATE skus SET available = available - 1 WHERE id = $1 AND available >= 1", sku_id)

    seconds = await run_concurrently(requests, concurrency, take)
    assert await db.fetchval("SELECT available FROM skus WHERE id = $1", sku_id) == 0
    return requests / seconds


async def bench_admitter(db: Database, requests: int, buyers: int, concurrency: int) -> tuple[float, float]:
    """(admissions/s, mean requests per batch)."""
    sale_id, sku_id = await hot_sale(db, requests)
    admitter = FlashAdmitter(db, Clock(), CatalogSettings().flash_admission_batch)
    numbers = iter(range(requests))

    async def one() -> None:
        n = next(numbers)
        await admitter.admit(sale_id, AdmissionRequest(key=f"k{n}", user_id=f"buyer{n % buyers}", sku_id=sku_id,
                                                       qty=1))

    seconds = await run_concurrently(requests, concurrency, one)
    assert await db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale_id) == 0
    return requests / seconds, requests / await _batches(db, sale_id)


async def bench_http(db: Database, base_url: str, requests: int, buyers: int, concurrency: int
                     ) -> tuple[float, float]:
    sale_id, sku_id = await hot_sale(db, requests)
    numbers = iter(range(requests))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def one() -> None:
            n = next(numbers)
            async with session.post(f"{base_url}/flash-sales/{sale_id}/admissions",
                                    headers={"X-User-Id": f"buyer{n % buyers}", "Idempotency-Key": f"k{n}"},
                                    json={"sku_id": sku_id, "qty": 1}) as resp:
                assert resp.status == 201, await resp.text()
                await resp.read()

        seconds = await run_concurrently(requests, concurrency, one)
    assert await db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale_id) == 0
    return requests / seconds, requests / await _batches(db, sale_id)


async def _batches(db: Database, sale_id: str) -> int:
    """Transactions that admitted to the sale (the admission rows of one transaction share their xmin)."""
    return int(await db.fetchval("SELECT count(DISTINCT xmin::text) FROM flash_admissions WHERE sale_id = $1",
                                 sale_id))


def _commit() -> str:
    root = Path(__file__).resolve().parent.parent
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True,
                           text=True)
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--amqp-url", default=os.environ.get("MALL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--connections", type=int, default=32, help="the raw loop's pool (at most concurrency)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    load_before = os.getloadavg()
    from aiohttp.test_utils import TestServer

    async with scratch_database(args.database_url) as database, scratch_bus(args.amqp_url) as prefix:
        dsn = database.url
        # development: called directly, without the gateway's internal token (a production app refuses to start)
        settings = CatalogSettings(database_url=dsn, amqp_url=args.amqp_url, bus_prefix=prefix, db_pool_max=20,
                                   env="development")
        server: TestServer | None = None
        try:
            await bootstrap(dsn, "catalog")
            pool = await create_pool(service_dsn(dsn, "catalog"), "catalog",
                                     max_size=min(args.concurrency, args.connections))
            db = Database(pool, "catalog")
            server = TestServer(create_app(settings))
            await server.start_server()
            base_url = str(server.make_url("")).rstrip("/")
            await bench_raw(db, 200, args.concurrency)  # warm up connections and plans
            await bench_admitter(db, 200, args.buyers, args.concurrency)
            raw, admitted, http, per_batch, per_batch_http = [], [], [], [], []
            for _ in range(args.rounds):
                raw.append(await bench_raw(db, args.requests, args.concurrency))
                rate, batch = await bench_admitter(db, args.requests, args.buyers, args.concurrency)
                admitted.append(rate)
                per_batch.append(batch)
                rate, batch = await bench_http(db, base_url, args.requests, args.buyers, args.concurrency)
                http.append(rate)
                per_batch_http.append(batch)
            await pool.close()
            load_after = os.getloadavg()
            med_raw, med_admitter, med_http = (statistics.median(x) for x in (raw, admitted, http))
            print(f"commit {_commit()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, requests={args.requests} "
                  f"buyers={args.buyers} concurrency={args.concurrency} "
                  f"connections={min(args.concurrency, args.connections)} rounds={args.rounds} (one hot sale)")
            print(f"load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/"
                  f"{load_before[2]:.1f}, after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}")
            print(f"raw conditional UPDATE, 1 tx each  : median {med_raw:7.0f} /s  rounds {_rates(raw)}")
            print(f"admitter (FlashAdmitter.admit)     : median {med_admitter:7.0f} /s  rounds {_rates(admitted)}  "
                  f"{med_admitter / med_raw:.1f}x raw, ~{statistics.median(per_batch):.0f} per transaction")
            print(f"admitter over HTTP (catalog)       : median {med_http:7.0f} /s  rounds {_rates(http)}  "
                  f"{med_http / med_raw:.1f}x raw, ~{statistics.median(per_batch_http):.0f} per transaction")
        finally:
            if server is not None:
                await server.close()


def _rates(rates: list[float]) -> str:
    return ", ".join(f"{r:.0f}" for r in rates)


if __name__ == "__main__":
    asyncio.run(main())
