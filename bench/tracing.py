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
import time
from collections.abc import Sequence

import aiohttp
from aiohttp.test_utils import TestServer

from bench.scratch import AMQP, scratch_bus, scratch_database
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.db import bootstrap


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
    async with scratch_database() as database, scratch_bus() as prefix:
        await bootstrap(database.url, "catalog")
        settings = CatalogSettings(database_url=database.url, amqp_url=AMQP, bus_prefix=prefix, env="development")
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
