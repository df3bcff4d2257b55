"""Each service's role can touch its own schema and nothing else."""

import asyncio

import asyncpg
import pytest

from shared.db import SHARED_MIGRATIONS, migrate, service_dsn
from tests.conftest import all_services


async def test_a_service_role_cannot_read_or_write_another_schema(database_url):
    services = all_services()
    assert len(services) >= 2
    for own in services:
        conn = await asyncpg.connect(service_dsn(database_url, own), server_settings={"search_path": own})
        try:
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0  # its own schema works
            for other in services:
                if other == own:
                    continue
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f"SELECT * FROM {other}.outbox")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(
                        f"INSERT INTO {other}.inbox (event_id, event_type) VALUES (gen_random_uuid(), 'x')")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE public.sneaky (id int)")
        finally:
            await conn.close()


async def test_concurrent_migrations_apply_each_file_once(database_url):
    service = all_services()[0]
    conns = [await asyncpg.connect(service_dsn(database_url, service), server_settings={"search_path": service})
             for _ in range(3)]
    try:
        await conns[0].execute("DELETE FROM schema_migrations WHERE version LIKE 'shared/%'")
        await conns[0].execute("DROP TABLE outbox, inbox, idempotency_keys")
        applied = await asyncio.gather(*(migrate(c, service) for c in conns))
        shared = len(list(SHARED_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")))
        assert sorted(len(a) for a in applied) == [0, 0, shared]  # one connection applied them all
        assert await conns[0].fetchval("SELECT count(*) FROM outbox") == 0
    finally:
        for c in conns:
            await c.close()
