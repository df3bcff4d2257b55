"""How many PostgreSQL connections the mall holds under load: the figures behind docs/OPERATING.md.

    python -m bench.connections [--replicas 2] [--seconds 15] [--concurrency 40] [--pool-max N]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database and
bus prefix. Starts `--replicas` whole malls (deploy.local.LocalMall, every service its own process) on that one
database and bus prefix, so each service runs as that many replicas sharing its queues. Seeds the demo data,
logs one demo user in per mall, then keeps every gateway busy with reads that touch every service (search,
product, home, me, orders) while sampling `pg_stat_activity` four times a second. Prints the most connections
seen per role and in total, and the statuses the load got.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import tempfile
from pathlib import Path

import aiohttp
import asyncpg

from bench.gateway import log_in
from bench.scratch import AMQP, PG, scratch_bus, scratch_database
from deploy.local import LocalMall

COUNT = ("SELECT usename, count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND usename LIKE 'mall\\_%' "
         "GROUP BY usename")


async def load(mall: LocalMall, stop: asyncio.Event, concurrency: int, statuses: collections.Counter[int]) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        token, _ = await log_in(session, mall)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"{mall.url('gateway')}/api"
        async with session.get(f"{base}/search", params={"q": "shouji"}, headers=headers) as resp:
            product = (await resp.json())["items"][0]["id"]
        targets = [f"{base}/search?q=shouji", f"{base}/products/{product}", f"{base}/home?lat=31.23&lng=121.47",
                   f"{base}/me", f"{base}/orders"]

        async def worker(offset: int) -> None:
            i = offset
            while not stop.is_set():
                async with session.get(targets[i % len(targets)], headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
                i += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))


async def sample(database: str, stop: asyncio.Event, peaks: dict[str, int], totals: list[int]) -> None:
    admin = await asyncpg.connect(PG)
    try:
        while not stop.is_set():
            rows = await admin.fetch(COUNT, database)
            for row in rows:
                peaks[row["usename"]] = max(peaks.get(row["usename"], 0), row["n"])
            totals.append(sum(row["n"] for row in rows))
            await asyncio.sleep(0.25)
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=40, help="concurrent requests per gateway")
    parser.add_argument("--pool-max", type=int, default=None, help="MALL_DB_POOL_MAX (default: the settings')")
    args = parser.parse_args()
    env = {"MALL_RATE_USER_LIMIT": "1000000", "MALL_RATE_IP_LIMIT": "1000000"}
    if args.pool_max:
        env["MALL_DB_POOL_MAX"] = str(args.pool_max)
    peaks: dict[str, int] = {}
    totals: list[int] = []
    statuses: collections.Counter[int] = collections.Counter()
    async with scratch_database(label="conns") as database, scratch_bus(label="conns") as prefix:
        with tempfile.TemporaryDirectory(prefix="bench-conns-") as workdir:
            malls = [LocalMall(database.url, AMQP, bus_prefix=prefix, workdir=Path(workdir) / str(i),
                               log_level="WARNING", env=env) for i in range(args.replicas)]
            try:
                for mall in malls:
                    await mall.prepare()
                    await mall.start()
                await malls[0].seed()
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample(database.name, stop, peaks, totals))
                loads = [asyncio.create_task(load(mall, stop, args.concurrency, statuses)) for mall in malls]
                await asyncio.sleep(args.seconds)
                stop.set()
                await asyncio.gather(sampler, *loads)
            finally:
                for mall in malls:
                    await mall.stop()
    print(f"{args.replicas} replica(s) of every service, {args.seconds:.0f} s of reads, "
          f"{args.concurrency} concurrent per gateway, pool max {args.pool_max or 'default'}")
    for role in sorted(peaks):
        print(f"  {role:18} peak {peaks[role]:3}")
    print(f"  {'total':18} peak {max(totals, default=0):3}   (sum of role peaks {sum(peaks.values())})")
    print(f"  answers: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    asyncio.run(main())
