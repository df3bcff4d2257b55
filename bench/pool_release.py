"""What a pooled connection's release costs: asyncpg's default reset beside the mall's pool, in one run.

    python -m bench.pool_release [--calls 5000] [--concurrency 8]

Uses MALL_TEST_DATABASE_URL or the local server. Two pools on the same database, one as asyncpg makes it
(its release sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), one from
shared.db.create_pool (no reset query); each runs `pool.fetchval('SELECT 1')` (acquire, query, release) from
`--concurrency` tasks, in turn, three rounds each. CPU: this process and the pools' backends.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench.gateway import cpu_seconds
from bench.scratch import PG
from shared.db import create_pool


async def hammer(pool: asyncpg.Pool, calls: int, concurrency: int) -> tuple[float, float, float]:
    """(calls/s, µs of CPU per call in this process, µs in the backends)."""
    held = [await pool.acquire() for _ in range(concurrency)]  # every connection of the pool, for its pid
    backends = [await conn.fetchval("SELECT pg_backend_pid()") for conn in held]
    for conn in held:
        await pool.release(conn)
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await pool.fetchval("SELECT 1")

    cpu, db_cpu, started = time.process_time(), sum(cpu_seconds(p) or 0.0 for p in backends), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return (calls / elapsed, 1e6 * (time.process_time() - cpu) / calls,
            1e6 * (sum(cpu_seconds(p) or 0.0 for p in backends) - db_cpu) / calls)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    size = args.concurrency
    default = await asyncpg.create_pool(PG, min_size=size, max_size=size)
    ours = await create_pool(PG, "public", min_size=size, max_size=size)
    assert default is not None
    figures: dict[str, list[tuple[float, float, float]]] = {"asyncpg default reset": [], "shared.db pool": []}
    try:
        for _ in range(3):
            figures["asyncpg default reset"].append(await hammer(default, args.calls, args.concurrency))
            figures["shared.db pool"].append(await hammer(ours, args.calls, args.concurrency))
    finally:
        await default.close()
        await ours.close()
    print(f"{args.calls} x pool.fetchval('SELECT 1'), {args.concurrency} at a time, 3 rounds in turn (median)")
    for label, rounds in figures.items():
        rate, py, db = (sorted(column)[1] for column in zip(*rounds, strict=True))
        print(f"  {label:22} {rate:7.0f} calls/s   CPU per call: {py:5.0f} µs Python, {db:5.0f} µs PostgreSQL")


if __name__ == "__main__":
    asyncio.run(main())
