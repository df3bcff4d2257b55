"""Transient faults on real servers: the database drops or refuses a service's connections, a client leaves.

A dropped connection is never a 500: a read (or a keyed write) runs once more and succeeds, anything else is a
503 `temporarily_unavailable` with Retry-After. Terminations are scoped to this test's own database (roles
are cluster-wide and shared with parallel runs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg
import pytest
import structlog
from aiohttp import web

from shared.db import Database, bootstrap
from shared.events.base import EventData, event
from shared.http import idempotent as run_keyed
from shared.http import json_response
from shared.service import DB, DEPS, RELAY, create_service_app
from shared.settings import ServiceSettings
from tests.integration.probe import probes, write_note
from tests.support import eventually

ROLE = "mall_faultprobe"
SLEEP = "SELECT 42 FROM pg_sleep(0.6)"


@event("probe.fault_noted")
class FaultNoted(EventData):
    body: str


class FaultSettings(ServiceSettings):
    service: str = "faultprobe"


async def slow_read(request: web.Request) -> web.Response:
    request.app[RUNS].append("read")
    return json_response({"value": await request.app[DB].fetchval(SLEEP)})


async def slow_write(request: web.Request) -> web.Response:
    """A write in one transaction, not keyed: a connection lost in it must not be replayed."""
    request.app[RUNS].append("write")
    async with request.app[DB].transaction() as tx:
        await tx.emit(FaultNoted(body="unkeyed"))
        await tx.conn.fetchval(SLEEP)
    return json_response({"ok": True}, status=201)


async def keyed_write(request: web.Request) -> web.Response:
    request.app[RUNS].append("keyed")

    async def work(tx):  # noqa: ANN001, ANN202
        await tx.emit(FaultNoted(body="keyed"))
        await tx.conn.fetchval(SLEEP)
        return 201, {"ok": True}

    return await run_keyed(request, request.app[DB], "user-1", {}, work)


async def upload(request: web.Request) -> web.Response:
    request.app[STARTED].set()
    return json_response({"size": len(await request.read())})


RUNS = web.AppKey("runs", list)
STARTED = web.AppKey("started", asyncio.Event)


@pytest.fixture
def logs() -> Iterator[list[dict]]:
    """structlog entries at INFO and above of the apps built while it is active."""
    config = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as entries:
            yield entries
    finally:
        structlog.configure(wrapper_class=config["wrapper_class"])


@pytest.fixture
async def probe(database_url, settings_for, start_app, logs):  # noqa: ARG001 - logs: loggers bound at INFO
    await bootstrap(database_url, "faultprobe")
    app = create_service_app(settings_for(FaultSettings))
    app[RUNS] = []
    app[STARTED] = asyncio.Event()
    app.router.add_get("/slow", slow_read)
    app.router.add_post("/notes", slow_write)
    app.router.add_post("/keyed", keyed_write)
    app.router.add_post("/upload", upload)
    return await start_app(app)


async def terminate(database_url: str, *, only_sleeping: bool = False) -> int:
    """Kill the probe role's sessions in this test's database (all of them, or the one in pg_sleep)."""
    admin = await asyncpg.connect(database_url)
    try:
        return len(await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND usename = $1 AND ($2 = false OR (state = 'active' AND query LIKE '%pg_sleep%'))",
            ROLE, only_sleeping))
    finally:
        await admin.close()


async def terminate_when_sleeping(database_url: str) -> None:
    async def killed() -> int:
        return await terminate(database_url, only_sleeping=True)

    await eventually(killed, timeout=10, interval=0.02)


async def fault_events(client, body: str) -> int:  # noqa: ANN001
    return await client.app[DB].fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = 'probe.fault_noted' "
        "AND convert_from(payload, 'UTF8')::jsonb->'data'->>'body' = $1",
        body)


async def test_a_read_cut_mid_query_runs_once_more_and_answers_200(probe, database_url):
    answer, _ = await asyncio.gather(probe.get("/slow"), terminate_when_sleeping(database_url))
    assert answer.status == 200, await answer.text()
    assert await answer.json() == {"value": 42}
    assert probe.app[RUNS] == ["read", "read"]


async def test_an_unkeyed_write_cut_mid_transaction_is_503_with_retry_after_and_not_replayed(probe, database_url):
    answer, _ = await asyncio.gather(probe.post("/notes"), terminate_when_sleeping(database_url))
    assert answer.status == 503
    assert answer.content_type == "application/problem+json"
    assert answer.headers["Retry-After"] == "1"
    assert (await answer.json())["code"] == "temporarily_unavailable"
    assert probe.app[RUNS] == ["write"]
    assert await fault_events(probe, "unkeyed") == 0  # rolled back, nothing half-done


async def test_a_keyed_write_cut_mid_transaction_runs_once_more_and_is_done_once(probe, database_url):
    headers = {"Idempotency-Key": "k-fault-1"}
    answer, _ = await asyncio.gather(probe.post("/keyed", headers=headers), terminate_when_sleeping(database_url))
    assert answer.status == 201, await answer.text()
    assert probe.app[RUNS] == ["keyed", "keyed"]
    again = await probe.post("/keyed", headers=headers)
    assert again.status == 201
    assert await fault_events(probe, "keyed") == 1


async def test_refused_connections_are_503_not_500(probe, database_url, logs):
    name = urlsplit(database_url).path.lstrip("/")
    admin = await asyncpg.connect(database_url)
    try:
        # Scoped to this test's database: new connections of any non-superuser role are refused with
        # "too many connections for database" (TooManyConnectionsError).
        await admin.execute(f"ALTER DATABASE {name} CONNECTION LIMIT 0")
    finally:
        await admin.close()
    await terminate(database_url)
    for answer in [await probe.get("/slow"), await probe.post("/notes")]:
        assert answer.status == 503, await answer.text()
        assert answer.headers["Retry-After"] == "1"
        assert (await answer.json())["code"] == "temporarily_unavailable"
    assert not [e for e in logs if e["event"] == "unhandled error"]
    assert [e for e in logs if e["event"] == "database unavailable" and "TooManyConnections" in e["error"]]


async def test_a_client_leaving_mid_upload_is_logged_at_info_without_traceback(probe, logs):
    reader, writer = await asyncio.open_connection(probe.host, probe.port)
    writer.write(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
    await writer.drain()
    await asyncio.wait_for(probe.app[STARTED].wait(), 10)
    writer.close()
    await writer.wait_closed()

    async def logged() -> list[dict]:
        return [e for e in logs if e["event"] in ("client disconnected", "unhandled error")]

    entries = await eventually(logged, timeout=10)
    assert [(e["event"], e["log_level"]) for e in entries] == [("client disconnected", "info")]
    assert "exc_info" not in entries[0]
    del reader


async def test_the_outbox_listener_comes_back_after_its_connection_is_terminated(
        database_url, amqp_url, bus_prefix, logs):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        # Polling only every 60 s: an event that arrives within seconds was woken by NOTIFY, i.e. LISTEN is back.
        relay = writer.run_relay(poll_seconds=60)

        async def listening() -> bool:
            return relay.listening

        await eventually(listening)
        admin = await asyncpg.connect(database_url)
        try:
            killed = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND usename = 'mall_writer' AND query LIKE 'LISTEN%'")
        finally:
            await admin.close()
        assert len(killed) == 1

        async def back() -> bool:
            return relay.listening and any(e["event"] == "outbox listener back" for e in logs)

        await eventually(back)
        await write_note(writer.db, "after the cut")
        assert await eventually(reader.effects, timeout=10) == {"after the cut": 1}
    lost = [e for e in logs if e["event"] == "outbox listener lost; polling until it is back"]
    assert [e["log_level"] for e in lost] == ["warning"]
    assert not [e for e in logs if "released back to the pool" in str(e)]


async def test_a_service_listens_on_one_connection_and_a_commit_from_a_writer_without_a_relay_wakes_it(
        database_url, settings_for, start_app):
    """Every listening backend costs the database CPU on each NOTIFY: a service process holds one LISTEN
    connection (its Changes), which its outbox relay shares; a seed's or a script's commit still wakes it."""
    await bootstrap(database_url, "faultprobe")
    # Polling only every 60 s: an event published within seconds was woken by the announcement.
    app = create_service_app(settings_for(FaultSettings, outbox_poll_seconds=60, outbox_listening_poll_seconds=60))
    await start_app(app)
    changes, relay = app[DEPS].changes, app[RELAY]
    waiting = asyncio.create_task(changes.wait("order-1", _never, timeout=60))  # a request waiting on a commit
    admin = await asyncpg.connect(database_url)
    try:
        await eventually(lambda: changes.waiting == 1 and changes.listening and relay.listening)
        assert await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = $1 "
            "AND query LIKE 'LISTEN%'", ROLE) == 1
        async with Database(app[DB].pool, "faultprobe").transaction() as tx:  # no relay of its own: a seed
            await tx.emit(FaultNoted(body="seeded"))
        await eventually(lambda: admin.fetchval(
            "SELECT count(*) = 0 FROM faultprobe.outbox WHERE sent_at IS NULL"), timeout=10)
    finally:
        waiting.cancel()
        await admin.close()


async def _never() -> bool:
    return False



async def test_a_stop_does_not_wait_for_ever_on_a_connection_still_lent_out(probe, logs):
    """A stop ends within the orchestrator's grace period even when something still holds a connection (the
    pool's close would otherwise wait for it without end)."""
    await probe.server.app[DB].pool.acquire()  # never given back, as a stuck request would
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(probe.close(), 30)
    assert asyncio.get_running_loop().time() - started < 20
    assert any(e["event"] == "database connections still in use at stop; closing them" for e in logs)
