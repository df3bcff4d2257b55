"""Fixtures on real servers. Each run gets a template database with every service bootstrapped; each test
gets a fresh copy of it and its own exchange and queue name prefix, and both are removed afterwards."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from shared.db import bootstrap
from shared.logging import configure_logging
from tests.servers import find_servers

ROOT = Path(__file__).resolve().parent.parent
RUN = uuid.uuid4().hex[:8]
OUTPUT = ROOT / "test-output"


def all_services() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/migrations"))


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[tuple[str, str]]:
    configure_logging(os.environ.get("MALL_TEST_LOG_LEVEL", "WARNING"))
    with ExitStack() as stack:
        yield await find_servers(stack)


@pytest.fixture(scope="session")
def amqp_url(servers: tuple[str, str]) -> str:
    return servers[1]


@pytest.fixture(scope="session")
async def template_db(servers: tuple[str, str], reaper: Reaper) -> AsyncIterator[str]:
    """A database with every service's role, schema and migrations: the mould each test is cast from."""
    admin_dsn = servers[0]
    name = f"mall_tpl_{RUN}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        dsn = with_database(admin_dsn, name)
        for service in all_services():
            try:
                await bootstrap(dsn, service)
            except Exception as exc:  # noqa: BLE001 - that service's own tests will show the failure
                warnings.warn(f"bootstrap of {service} failed: {exc!r}", stacklevel=1)
        yield name
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


class Reaper:
    """Drops the tests' databases in a thread of its own. A DROP DATABASE waits for a checkpoint; several at
    once share it, and no test waits for the one before it to be cleaned up. Its own thread and loop: the
    tests' loop runs only while an async test does, and a backlog left for the end of the run took minutes."""

    def __init__(self, admin_dsn: str, concurrency: int = 4):
        self.admin_dsn = admin_dsn
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="db-reaper", daemon=True)
        self.thread.start()
        self.limit = asyncio.Semaphore(concurrency)  # bound to self.loop at first use, inside it
        self.drops: list[concurrent.futures.Future[None]] = []

    def drop(self, name: str) -> None:
        self.drops.append(asyncio.run_coroutine_threadsafe(self._drop(name), self.loop))

    async def _drop(self, name: str) -> None:
        async with self.limit:
            conn = await asyncpg.connect(self.admin_dsn)
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            finally:
                await conn.close()

    async def finish(self) -> None:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self.drops), return_exceptions=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


@pytest.fixture(scope="session")
async def reaper(servers: tuple[str, str]) -> AsyncIterator[Reaper]:
    reaper = Reaper(servers[0])
    yield reaper
    await reaper.finish()


@pytest.fixture
async def database_url(servers: tuple[str, str], template_db: str, reaper: Reaper) -> AsyncIterator[str]:
    """Admin DSN of a fresh database for this test, every service schema migrated and empty."""
    admin = await asyncpg.connect(servers[0])
    name = f"mall_t_{RUN}_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    finally:
        await admin.close()
    yield with_database(servers[0], name)
    reaper.drop(name)


@pytest.fixture
async def bus_prefix(amqp_url: str) -> AsyncIterator[str]:
    """A name prefix for this test's exchange and queues; everything under it is deleted afterwards."""
    prefix = f"t{RUN}{uuid.uuid4().hex[:6]}."
    yield prefix
    await delete_prefixed(amqp_url, prefix)


async def delete_prefixed(amqp_url: str, prefix: str) -> None:
    from shared.bus import EXCHANGE

    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        for name in _declared.pop(prefix, set()):
            await channel.queue_delete(name)
        await channel.exchange_delete(f"{prefix}{EXCHANGE}")
    finally:
        await conn.close()


_declared: dict[str, set[str]] = {}


def remember_queues(prefix: str, names: list[str]) -> None:
    _declared.setdefault(prefix, set()).update(names)


@pytest.fixture
def settings_for(database_url: str, amqp_url: str, bus_prefix: str) -> Callable[..., Any]:
    """settings_for(CatalogSettings, max_attempts=2) -> settings pointing at this test's servers."""

    def make(settings_cls: type, **overrides: Any) -> Any:
        # Development: tests call the services directly, without the internal token; the token and QR
        # secrets are then random per settings object (tests/integration/gateway/test_secrets.py covers the
        # production checks).
        values: dict[str, Any] = {"database_url": database_url, "amqp_url": amqp_url, "bus_prefix": bus_prefix,
                                  "outbox_poll_seconds": 0.2, "retry_delays_ms": [200, 400], "env": "development"}
        values.update(overrides)
        settings = settings_cls(**values)
        from shared.bus import every_queue, queue_names

        names = queue_names(bus_prefix, settings.service, settings.retry_delays_ms)
        remember_queues(bus_prefix, every_queue(names))
        return settings

    return make


@pytest.fixture
async def start_app() -> AsyncIterator[Callable[..., Any]]:
    """start_app(app) -> a TestClient on a running server; stopped (gracefully) after the test."""
    clients: list[TestClient] = []

    async def start(app: web.Application) -> TestClient:
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        await client.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
