"""Two probe services ("writer" and "reader") built only from the shared library."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from shared.bus import Bus, every_queue
from shared.db import Database, Tx, bootstrap, create_pool, service_dsn
from shared.events.base import Event, EventData, event
from shared.inbox import Consumer
from shared.outbox import OutboxRelay
from tests.conftest import remember_queues

MIGRATIONS = Path(__file__).parent


@event("probe.noted")
class Noted(EventData):
    body: str


async def write_note(db: Database, body: str) -> None:
    """A business write and its event in one transaction."""
    async with db.transaction() as tx:
        await tx.conn.execute("INSERT INTO notes (body) VALUES ($1)", body)
        await tx.emit(Noted(body=body))


async def write_notes(db: Database, bodies: list[str]) -> None:
    async with db.transaction() as tx:
        for body in bodies:
            await tx.conn.execute("INSERT INTO notes (body) VALUES ($1)", body)
            await tx.emit(Noted(body=body))


async def count_effect(tx: Tx, event: Event[Noted]) -> None:
    await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)


class Probe:
    """A probe service's resources; `close()` releases them all."""

    def __init__(self, db: Database, bus: Bus):
        self.db = db
        self.bus = bus
        self.tasks: list[asyncio.Task[Any]] = []

    def run_relay(self, **options: Any) -> OutboxRelay:
        options.setdefault("poll_seconds", 0.2)
        relay = OutboxRelay(self.db.pool, self.bus, self.db.service, **options)
        self.tasks.append(asyncio.create_task(relay.run()))
        return relay

    async def consume(self, handler: Callable[[Tx, Event[Any]], Awaitable[None]] = count_effect, *,
                      retired: Iterable[type[EventData]] = (), needs: Callable[[Noted], bool] | None = None
                      ) -> Consumer:
        remember_queues(self.bus.prefix, every_queue(self.bus.names))
        consumer = Consumer(self.db, self.bus).on(Noted, handler, needs)
        for model in retired:
            consumer.retire(model)
        await consumer.start()
        return consumer

    async def effects(self) -> dict[str, int]:
        rows = await self.db.fetch("SELECT body, count(*) AS n FROM effects GROUP BY body")
        return {r["body"]: r["n"] for r in rows}

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.bus.close()
        await self.db.pool.close()


async def open_probe(admin_dsn: str, amqp_url: str, prefix: str, name: str, **bus_options: Any) -> Probe:
    await bootstrap(admin_dsn, name, directory=MIGRATIONS)
    pool = await create_pool(service_dsn(admin_dsn, name), name, max_size=10)
    bus = Bus(amqp_url, prefix=prefix, service=name, **bus_options)
    await bus.connect()
    return Probe(Database(pool, name), bus)


@contextlib.asynccontextmanager
async def probes(admin_dsn: str, amqp_url: str, prefix: str, *names: str, **bus_options: Any
                 ) -> AsyncIterator[list[Probe]]:
    opened = [await open_probe(admin_dsn, amqp_url, prefix, name, **bus_options) for name in names]
    try:
        yield opened
    finally:
        for probe in opened:
            await probe.close()
