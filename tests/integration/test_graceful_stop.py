"""A graceful stop (SIGTERM: what Kubernetes sends at the start of a pod's termination grace period, and
deploy.local at Ctrl-C) on the real database and broker: the service stops taking HTTP connections and
messages, finishes the message in hand (its transaction commits, the message is acknowledged), then exits.
A message published meanwhile stays in the queue for another replica."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import aio_pika
import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from services.catalog.settings import CatalogSettings
from shared.bus import Bus
from shared.db import Tx
from shared.events.base import Event
from shared.events.gateway import UserActive
from shared.service import BUS, Deps, Handlers, create_service_app
from tests.support import eventually


async def _refused(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url):
            return False
    except aiohttp.ClientConnectionError:
        return True


async def _queue(amqp_url: str, name: str) -> int:
    """Messages ready in a queue."""
    connection = await aio_pika.connect(amqp_url)
    try:
        queue = await (await connection.channel()).declare_queue(name, passive=True)
        return queue.declaration_result.message_count or 0
    finally:
        await connection.close()


async def test_a_stop_takes_no_new_work_and_finishes_the_message_in_hand(settings_for: Any, amqp_url: str,
                                                                         database_url: str):
    settings = settings_for(CatalogSettings)
    entered, release = asyncio.Event(), asyncio.Event()
    handled: list[str] = []

    async def slow(deps: Deps[Any], tx: Tx, event: Event[UserActive]) -> None:
        entered.set()
        await release.wait()
        await tx.conn.execute("SELECT 1")  # its transaction is still there after the stop began
        handled.append(event.data.user_id)

    server = TestServer(create_service_app(settings, handlers=Handlers[Any]().on(UserActive, slow)))
    await server.start_server()
    url, queue = str(server.make_url("/healthz")), f"{settings.bus_prefix}{settings.service}"
    publisher = Bus(amqp_url, prefix=settings.bus_prefix, service="publisher")
    await publisher.connect()
    stopping: asyncio.Task[None] | None = None
    try:
        first = Event.wrap(UserActive(user_id="u_first", day=date(2026, 1, 1)), producer="gateway")
        await publisher.publish_event(first)
        await asyncio.wait_for(entered.wait(), 15)

        stopping = asyncio.create_task(server.close())  # what SIGTERM starts in run_app
        await eventually(lambda: _refused(url), timeout=10)  # no new HTTP connection
        bus = server.app[BUS]
        await eventually(lambda: not bus.consuming, timeout=10)  # no new message (the broker said so)
        second = Event.wrap(UserActive(user_id="u_second", day=date(2026, 1, 1)), producer="gateway")
        await publisher.publish_event(second)
        assert not stopping.done()  # it waits for the message in hand

        release.set()
        await asyncio.wait_for(stopping, 20)
        assert handled == ["u_first"]
        conn = await asyncpg.connect(database_url)
        try:  # committed, so a redelivery would be skipped; and acknowledged: the queue holds only the second
            assert await conn.fetchval("SELECT count(*) FROM catalog.inbox WHERE event_id = $1", first.id) == 1
        finally:
            await conn.close()
        assert await _queue(amqp_url, queue) == 1
    finally:
        release.set()
        if stopping is None:
            await server.close()
        await publisher.close()

