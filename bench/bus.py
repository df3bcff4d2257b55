"""Outbox → consumer throughput beside raw aio-pika publish-with-confirms, measured in the same run.

    python -m bench.bus [--events 10000]

Uses MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL or the local servers; creates and drops its own database
and queues. The outbox figure is end to end: relay claims rows, publishes with confirms, marks them sent;
the consumer decodes, records the inbox row and commits, then acks. Beside the rates, CPU per event (this
process, and the services' PostgreSQL backends), steadier than rates on a shared machine: end to end against
raw's CPU per publish says what share of raw the path would reach were the CPU this process's alone. The
local broker's CPU (beam.smp, when it runs here) per message is printed too: the path costs it a publish, a
delivery and an ack where raw costs it a publish; other users of the broker are counted in it.

In the mall the relay runs in the producing service and the consumer in another process; the first end-to-end
phase runs both in this one process (one core at most), the last one runs the consumer in a process of its own
("as deployed"), the way the services run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path

import aio_pika

from bench.gateway import cpu_seconds
from bench.scratch import AMQP, scratch_bus, scratch_database
from shared.bus import Bus
from shared.db import Database, bootstrap, create_pool, service_dsn
from shared.events.base import Event, EventData, event
from shared.inbox import Consumer
from shared.outbox import OutboxRelay


@event("bench.ping")
class Ping(EventData):
    n: int


def broker_cpu() -> float:
    """CPU seconds so far of the local RabbitMQ node (beam.smp), 0 when there is none here. Other users of the
    broker count too: an upper bound of what the bench costs it."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == "beam.smp":
                return cpu_seconds(int(comm.parent.name)) or 0.0
    return 0.0


async def raw_publish_confirms(count: int, prefix: str) -> tuple[float, float, float]:
    """msg/s of plain aio-pika publishing persistent messages with confirms, 500 in flight at a time, this
    process's CPU per message (µs) and the broker's."""
    conn = await aio_pika.connect(AMQP)
    try:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(f"{prefix}raw", aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(f"{prefix}raw", durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, "bench.#")
        body = Event.wrap(Ping(n=0), producer="bench").to_json()
        started, cpu, broker = time.perf_counter(), time.process_time(), broker_cpu()
        for start in range(0, count, 500):
            await asyncio.gather(*(exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(i)),
                routing_key="bench.ping") for i in range(start, min(start + 500, count))))
        elapsed, cpu, broker = time.perf_counter() - started, time.process_time() - cpu, broker_cpu() - broker
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()
        return count / elapsed, 1e6 * cpu / count, 1e6 * broker / count
    finally:
        await conn.close()


async def write_events(writer: Database, count: int) -> None:
    for start in range(0, count, 1000):
        async with writer.transaction() as tx:
            for i in range(start, min(start + 1000, count)):
                await tx.emit(Ping(n=i))


async def until(predicate, interval: float = 0.02) -> None:  # noqa: ANN001
    while not await predicate():
        await asyncio.sleep(interval)


async def consume(dsn: str, prefix: str) -> None:
    """The consuming service alone (`--consume`): handles Pings until it is killed."""
    pool = await create_pool(service_dsn(dsn, "benchreader"), "benchreader", max_size=20)
    bus = Bus(AMQP, prefix=prefix, service="benchreader", prefetch=200)
    await bus.connect()
    await Consumer(Database(pool, "benchreader"), bus).on(Ping, noop).start()
    print("consuming", flush=True)
    await asyncio.Event().wait()


async def noop(tx, ev) -> None:  # noqa: ANN001 - the inbox row is the effect
    return None


async def outbox_to_consumer(count: int, dsn: str, prefix: str) -> dict[str, float]:
    """events/s end to end, then the relay alone and the consumer alone (each half on its own)."""
    await bootstrap(dsn, "benchwriter")
    await bootstrap(dsn, "benchreader")
    writer_pool = await create_pool(service_dsn(dsn, "benchwriter"), "benchwriter", max_size=4)
    reader_pool = await create_pool(service_dsn(dsn, "benchreader"), "benchreader", max_size=20)
    writer_bus = Bus(AMQP, prefix=prefix, service="benchwriter")
    reader_bus = Bus(AMQP, prefix=prefix, service="benchreader", prefetch=200)
    await writer_bus.connect()
    await reader_bus.connect()
    writer, reader = Database(writer_pool, "benchwriter"), Database(reader_pool, "benchreader")
    relay = OutboxRelay(writer_pool, writer_bus, "benchwriter", batch_size=500, poll_seconds=0.1)
    tasks: list[asyncio.Task[None]] = []
    consumer_process: asyncio.subprocess.Process | None = None

    async def handled(n: int) -> bool:
        return await reader.fetchval("SELECT count(*) FROM inbox") >= n

    async def unsent() -> bool:
        return await writer.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL")

    async def backends_cpu() -> dict[int, float]:
        """CPU seconds so far of each PostgreSQL backend of both services on the bench's database."""
        rows = await reader.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND usename IN ('mall_benchwriter', 'mall_benchreader')")
        return {r["pid"]: cpu_seconds(r["pid"]) or 0.0 for r in rows}

    try:
        await write_events(writer, count)
        consumer = Consumer(reader, reader_bus).on(Ping, noop)
        await consumer.start()
        pg_before, path_cpu, broker = await backends_cpu(), time.process_time(), broker_cpu()
        started = time.perf_counter()
        tasks.append(asyncio.create_task(relay.run()))
        await until(lambda: handled(count))
        figures = {"end_to_end": count / (time.perf_counter() - started)}
        # CPU per event of the whole path in this process (relay and consumer) and in both services' backends
        # (a backend opened during the phase counts from zero): steadier than the rate on a shared machine.
        figures["end_to_end_cpu_us"] = 1e6 * (time.process_time() - path_cpu) / count
        figures["end_to_end_broker_cpu_us"] = 1e6 * (broker_cpu() - broker) / count
        pg_after = await backends_cpu()
        figures["end_to_end_pg_cpu_us"] = 1e6 * sum(
            seconds - pg_before.get(pid, 0.0) for pid, seconds in pg_after.items()) / count

        await reader_bus.stop_consuming()  # the next batch waits in the queue
        tasks.pop().cancel()  # and no relay runs while it is written
        await write_events(writer, count)
        started = time.perf_counter()
        tasks.append(asyncio.create_task(relay.run()))
        await until(unsent)
        figures["relay"] = count / (time.perf_counter() - started)
        backends = [r["pid"] for r in await reader.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = 'mall_benchreader'")]
        cpu = time.process_time(), sum(cpu_seconds(pid) or 0.0 for pid in backends)
        started = time.perf_counter()
        await consumer.start()
        await until(lambda: handled(2 * count))
        figures["consumer"] = count / (time.perf_counter() - started)
        # CPU per event of the consuming side: this process (the relay idle, the consumer busy) and the
        # reader's PostgreSQL backends (those open at both reads), steadier than rates on a shared machine.
        figures["consumer_cpu_us"] = 1e6 * (time.process_time() - cpu[0]) / count
        figures["consumer_pg_cpu_us"] = 1e6 * (sum(cpu_seconds(pid) or 0.0 for pid in backends) - cpu[1]) / count

        # As deployed: the consumer in a process of its own, the relay here.
        await reader_bus.stop_consuming()
        tasks.pop().cancel()
        await write_events(writer, count)
        consumer_process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bus", "--consume", dsn, prefix, stdout=asyncio.subprocess.PIPE)
        assert consumer_process.stdout is not None
        await consumer_process.stdout.readline()  # "consuming"
        cpu = time.process_time(), cpu_seconds(consumer_process.pid) or 0.0
        started = time.perf_counter()
        tasks.append(asyncio.create_task(relay.run()))
        await until(lambda: handled(3 * count))
        figures["two_processes"] = count / (time.perf_counter() - started)
        # CPU per event of each process: the relay's (this one; its pool's polls included) and the consumer's.
        figures["two_processes_relay_cpu_us"] = 1e6 * (time.process_time() - cpu[0]) / count
        figures["two_processes_consumer_cpu_us"] = 1e6 * ((cpu_seconds(consumer_process.pid) or 0.0) - cpu[1]) / count
        return figures
    finally:
        if consumer_process is not None and consumer_process.returncode is None:
            consumer_process.kill()
            await consumer_process.wait()
        for task in tasks:
            task.cancel()
        await writer_bus.close()
        await reader_bus.close()
        await writer_pool.close()
        await reader_pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--consume", nargs=2, metavar=("DSN", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consume:
        await consume(*args.consume)
        return
    # The reader's queues are deleted by scratch_bus once the path's connections are closed: deleted under the
    # reader's own robust connection, whose consumer the broker then cancels, the queue was at times declared
    # again and left behind.
    async with scratch_database() as database, scratch_bus(services=["benchreader"]) as prefix:
        raw, raw_cpu_us, raw_broker_cpu_us = await raw_publish_confirms(args.events, prefix)
        figures = await outbox_to_consumer(args.events, database.url, prefix)
    print(f"events: {args.events}")
    print(f"raw aio-pika publish with confirms:        {raw:8.0f} msg/s, CPU per message: {raw_cpu_us:.0f} µs "
          f"in Python, {raw_broker_cpu_us:.0f} µs in the broker")
    print(f"outbox -> relay -> consumer (inbox, ack):  {figures['end_to_end']:8.0f} events/s "
          f"({figures['end_to_end'] / raw:.0%} of raw), CPU per event: {figures['end_to_end_cpu_us']:.0f} µs in "
          f"Python ({raw_cpu_us / figures['end_to_end_cpu_us']:.0%} of raw's), "
          f"{figures['end_to_end_pg_cpu_us']:.0f} µs in PostgreSQL, "
          f"{figures['end_to_end_broker_cpu_us']:.0f} µs in the broker")
    print(f"  as deployed (the consumer in its own process): {figures['two_processes']:4.0f} events/s "
          f"({figures['two_processes'] / raw:.0%} of raw), CPU per event in Python: relay "
          f"{figures['two_processes_relay_cpu_us']:.0f} µs, consumer {figures['two_processes_consumer_cpu_us']:.0f} µs")
    print(f"  relay alone (claim, publish, mark sent): {figures['relay']:8.0f} events/s")
    print(f"  consumer alone (decode, inbox, commit, ack): {figures['consumer']:4.0f} events/s, CPU per event: "
          f"{figures['consumer_cpu_us']:.0f} µs in Python, {figures['consumer_pg_cpu_us']:.0f} µs in PostgreSQL")


if __name__ == "__main__":
    asyncio.run(main())
