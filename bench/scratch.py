"""What a benchmark runs on, made for the run and gone after it, even when the run fails: a database, a bus
prefix, and the whole mall (deploy.local.LocalMall) on both."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import asyncpg

from deploy.local import SERVICES, LocalMall, with_database
from shared.bus import EXCHANGE, every_queue, queue_names
from shared.settings import ServiceSettings

PG = os.environ.get("MALL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("MALL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass
class ScratchDatabase:
    name: str
    url: str
    admin: asyncpg.Connection  # to the server's own database, open for the whole run


@asynccontextmanager
async def scratch_database(server_url: str = PG, label: str = "bench", keep: str | None = None
                           ) -> AsyncIterator[ScratchDatabase]:
    """A new database mall_<label>_<random>, dropped afterwards; with `keep`: that one, created if missing
    and kept (for data that takes long to load)."""
    name = keep or f"mall_{label}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    try:
        if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield ScratchDatabase(name, with_database(server_url, name), admin)
        finally:
            if not keep:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def scratch_bus(amqp_url: str = AMQP, label: str = "bench",
                      services: Iterable[str] = SERVICES) -> AsyncIterator[str]:
    """A bus prefix of the run's own; the queues of `services` (the mall's by default) and the exchange under
    it are deleted afterwards."""
    prefix = f"{label}{uuid.uuid4().hex[:6]}."
    try:
        yield prefix
    finally:
        await delete_bus(prefix, amqp_url, services)


async def delete_bus(prefix: str, amqp_url: str = AMQP, services: Iterable[str] = SERVICES) -> None:
    delays = ServiceSettings.model_fields["retry_delays_ms"].get_default(call_default_factory=True)
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        for service in services:  # deleting a queue that was never declared is a no-op
            for queue in every_queue(queue_names(prefix, service, delays)):
                await channel.queue_delete(queue)
        await channel.exchange_delete(f"{prefix}{EXCHANGE}")
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_mall(label: str = "bench", *, amqp_url: str = AMQP, replicas: int = 1,
                       env: Mapping[str, str] | None = None, start: bool = True
                       ) -> AsyncIterator[tuple[LocalMall, ScratchDatabase]]:
    """The mall as `deploy/run-local.sh` runs it (every service its own process, the sandboxes), logging
    warnings only, on a scratch database and bus prefix and in a temporary folder; started and seeded with
    the demo data (start=False: only prepared, for the caller to start what it needs). On a failure the
    tail of each service's log is printed: the folder goes with the run."""
    async with (scratch_database(label=label) as database, scratch_bus(amqp_url, label) as prefix):
        with tempfile.TemporaryDirectory(prefix=f"{label}-mall-") as workdir:
            mall = LocalMall(database.url, amqp_url, bus_prefix=prefix, workdir=Path(workdir), replicas=replicas,
                             log_level="WARNING", env=dict(env or {}))
            try:
                await mall.prepare()
                if start:
                    await mall.start()
                    await mall.seed()
                yield mall, database
            except BaseException:
                for service in SERVICES:
                    log = mall.log_path(service)
                    if log.exists():
                        print(f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-15:], sep="\n")
                raise
            finally:
                await mall.stop()
