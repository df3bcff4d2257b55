"""Two probe services ("writer" and "reader") built only from the shared library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.bus import Bus
from shared.db import Database, Tx, bootstrap, create_pool
from shared.events.base import Event, EventData, event
from shared.inbox import Consumer

MIGRATIONS = Path(__file__).parent


@event("probe.noted")
class Noted(EventData):
    body: str


async def write_note(db: Database, body: str) -> None:
    """A business write and its event in one transaction."""
    async with db.transaction() as tx:
        await tx.conn.execute("INSERT INTO notes (body) VALUES ($1)", body)
        await tx.emit(Noted(body=body))


async def count_effect(tx: Tx, event: Event[Noted]) -> None:
    await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)


async def open_service(admin_dsn: str, amqp_url: str, prefix: str, name: str, **bus_options: Any
                       ) -> tuple[Database, Bus]:
    from shared.db import service_dsn

    await bootstrap(admin_dsn, name, directory=MIGRATIONS)
    pool = await create_pool(service_dsn(admin_dsn, name), name, max_size=10)
    bus = Bus(amqp_url, prefix=prefix, service=name, **bus_options)
    await bus.connect()
    return Database(pool, name), bus


async def start_reader(db: Database, bus: Bus) -> Consumer:
    consumer = Consumer(db, bus).on(Noted, count_effect)
    await consumer.start()
    return consumer
