"""Where the test servers are: MALL_TEST_* variables, else localhost, else testcontainers (with Docker)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from contextlib import ExitStack

import aio_pika
import asyncpg

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


async def _pg_answers(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


async def _amqp_answers(url: str) -> bool:
    try:
        conn = await asyncio.wait_for(aio_pika.connect(url), 5)
    except Exception:
        return False
    await conn.close()
    return True


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


async def find_servers(stack: ExitStack) -> tuple[str, str]:
    """(admin PostgreSQL DSN, AMQP URL) for this run; containers started here are stopped by `stack`."""
    pg = os.environ.get("MALL_TEST_DATABASE_URL")
    amqp = os.environ.get("MALL_TEST_AMQP_URL")
    if pg is None:
        pg = LOCAL_PG if await _pg_answers(LOCAL_PG) else None
    if amqp is None:
        amqp = LOCAL_AMQP if await _amqp_answers(LOCAL_AMQP) else None
    if (pg is None or amqp is None) and _docker_answers():
        if pg is None:
            from testcontainers.postgres import PostgresContainer

            container = stack.enter_context(PostgresContainer("postgres:15", driver=None))
            pg = container.get_connection_url()
        if amqp is None:
            from testcontainers.rabbitmq import RabbitMqContainer

            rabbit = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management"))
            amqp = (f"amqp://guest:guest@{rabbit.get_container_host_ip()}:"
                    f"{rabbit.get_exposed_port(rabbit.port)}/")
    if pg is None or amqp is None:
        raise RuntimeError(
            "No PostgreSQL or RabbitMQ for the tests: set MALL_TEST_DATABASE_URL / MALL_TEST_AMQP_URL, "
            "start them on localhost (deploy/ensure-servers.sh does), or run a Docker engine.")
    return pg, amqp
