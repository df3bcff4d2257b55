"""The outbox, the bus and the inbox together: what other services rely on when they exchange events."""

from __future__ import annotations

import asyncio
import contextlib

from shared.outbox import OutboxRelay
from tests.conftest import remember_queues
from tests.integration.probe import open_service, start_reader, write_note
from tests.support import eventually


async def test_event_written_with_row_reaches_other_service_once(database_url, amqp_url, bus_prefix):
    writer_db, writer_bus = await open_service(database_url, amqp_url, bus_prefix, "writer")
    reader_db, reader_bus = await open_service(database_url, amqp_url, bus_prefix, "reader")
    remember_queues(bus_prefix, [reader_bus.names["main"], reader_bus.names["dead"], *reader_bus.names["retry"]])
    await start_reader(reader_db, reader_bus)
    relay = OutboxRelay(writer_db.pool, writer_bus, "writer", poll_seconds=0.2)
    task = asyncio.create_task(relay.run())
    try:
        await write_note(writer_db, "你好")
        rows = await eventually(lambda: reader_db.fetch("SELECT body, count(*) n FROM effects GROUP BY body"))
        assert [(r["body"], r["n"]) for r in rows] == [("你好", 1)]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for bus in (writer_bus, reader_bus):
            await bus.close()
        await writer_db.pool.close()
        await reader_db.pool.close()
