"""Outbox → consumer throughput beside raw aio-pika publish-with-confirms, measured in the same run.

    python -m bench.bus [--events 10000]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database
and queues. The outbox figure is end to end: relay claims rows, publishes with confirms, marks them sent;
the consumer decodes, records the inbox row and commits, then acks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import aio_pika
import asyncpg

from shared.bus import EXCHANGE, Bus
from shared.db import Database, bootstrap, create_pool, service_dsn
from shared.events.base import Event, EventData, event
from shared.inbox import Consumer
from shared.outbox import OutboxRelay

PG = os.environ.get("MALL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("MALL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@event("bench.ping")
class Ping(EventData):
    n: int


async def raw_publish_confirms(count: int, prefix: str) -> float:
    """msg/s of plain aio-pika publishing persistent messages with confirms, 500 in flight at a time."""
    conn = await aio_pika.connect(AMQP)
    try:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(f"{prefix}raw", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"{prefix}raw", durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, "bench.#")
        body = Event.wrap(Ping(n=0), producer="bench").to_json()
        started = time.perf_counter()
        for start in range(0, count, 500):
            await asyncio.gather(*(exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(i)),
                routing_key="bench.ping") for i in range(start, min(start + 500, count))))
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
        return count / elapsed
    finally:
        await conn.close()


async def outbox_to_consumer(count: int, dsn: str, prefix: str) -> float:
    await bootstrap(dsn, "benchwriter")
    await bootstrap(dsn, "benchreader")
    writer_pool = await create_pool(service_dsn(dsn, "benchwriter"), "benchwriter", max_size=4)
    reader_pool = await create_pool(service_dsn(dsn, "benchreader"), "benchreader", max_size=20)
    writer_bus = Bus(AMQP, prefix=prefix, service="benchwriter")
    reader_bus = Bus(AMQP, prefix=prefix, service="benchreader", prefetch=200)
    await writer_bus.connect()
    await reader_bus.connect()
    writer, reader = Database(writer_pool, "benchwriter"), Database(reader_pool, "benchreader")
    try:
        for start in range(0, count, 1000):
            async with writer.transaction() as tx:
                for i in range(start, min(start + 1000, count)):
                    await tx.emit(Ping(n=i))

        async def noop(tx, ev) -> None:  # noqa: ANN001 - the inbox row is the effect
            return None

        await Consumer(reader, reader_bus).on(Ping, noop).start()
        relay = OutboxRelay(writer_pool, writer_bus, "benchwriter", batch_size=500, poll_seconds=0.1)
        started = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while await reader.fetchval("SELECT count(*) FROM inbox") < count:
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        task.cancel()
        return count / elapsed
    finally:
        await reader_bus.delete_topology()
        await writer_bus.close()
        await reader_bus.close()
        await writer_pool.close()
        await reader_pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    name = f"mall_bench_{uuid.uuid4().hex[:8]}"
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    admin = await asyncpg.connect(PG)
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = PG.rsplit("/", 1)[0] + f"/{name}"
    try:
        raw = await raw_publish_confirms(args.events, prefix)
        end_to_end = await outbox_to_consumer(args.events, dsn, prefix)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
        conn = await aio_pika.connect(AMQP)
        channel = await conn.channel()
        await channel.exchange_delete(f"{prefix}{EXCHANGE}")
        await conn.close()
    print(f"events: {args.events}")
    print(f"raw aio-pika publish with confirms:      {raw:10.0f} msg/s")
    print(f"outbox -> relay -> consumer (inbox, ack): {end_to_end:10.0f} events/s")
    print(f"ratio: {end_to_end / raw:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
