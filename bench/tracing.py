"""What tracing costs a request: CPU per call through a service's whole middleware stack, tracing off or on.

    python -m bench.tracing off|on [--requests 5000] [--concurrency 8]

Starts catalog in-process (its own database, created and dropped, and bus prefix) and calls `GET /healthz`,
the cheapest route, so the middlewares are most of the work and their cost shows the most. `on`: an SDK
tracer provider whose batch processor hands every span to an exporter that drops it (the cost of making and
ending spans, not of any network). Prints CPU microseconds per request (client and server are one process;
the client's share is the same in both modes) and requests per second. Compare with farm-bench, e.g.
    farm-bench -n 5 -- python -m bench.tracing on --vs 'python -m bench.tracing off'
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Sequence

import aio_pika
import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from deploy.local import with_database
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.bus import EXCHANGE, queue_names
from shared.db import bootstrap

PG = os.environ.get("MALL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("MALL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def tracing_on() -> None:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from shared.tracing import use_provider

    class Dropped(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped()))
    use_provider(provider)


async def measure(requests: int, concurrency: int) -> None:
    name = f"mall_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE DATABASE {name}")
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    try:
        dsn = with_database(PG, name)
        await bootstrap(dsn, "catalog")
        settings = CatalogSettings(database_url=dsn, amqp_url=AMQP, bus_prefix=prefix, env="development")
        server = TestServer(create_app(settings))
        await server.start_server()
        url = str(server.make_url("/healthz"))
        try:
            async with aiohttp.ClientSession() as session:
                async def calls(n: int) -> None:
                    for _ in range(n):
                        async with session.get(url) as resp:
                            await resp.read()
                            assert resp.status == 200

                await asyncio.gather(*(calls(200 // concurrency) for _ in range(concurrency)))  # warm-up
                cpu, wall = time.process_time(), time.perf_counter()
                await asyncio.gather(*(calls(requests // concurrency) for _ in range(concurrency)))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            await server.close()
        done = requests // concurrency * concurrency
        print(f"{done} requests: {1e6 * cpu / done:.0f} us CPU per request, {done / wall:.0f} requests/s")
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
        await delete_topology(prefix)


async def delete_topology(prefix: str) -> None:
    """catalog's queues and the exchange under this run's prefix."""
    names = queue_names(prefix, "catalog", CatalogSettings().retry_delays_ms)
    connection = await aio_pika.connect(AMQP)
    try:
        channel = await connection.channel()
        for queue in [names["main"], names["dead"], *names["retry"]]:
            await channel.queue_delete(queue)
        await channel.exchange_delete(f"{prefix}{EXCHANGE}")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing")
    parser.add_argument("mode", choices=["off", "on"])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if args.mode == "on":
        tracing_on()
    asyncio.run(measure(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
