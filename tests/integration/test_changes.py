"""Waiting for another transaction's commit (shared.changes): woken by the commit, one LISTEN connection for
every waiter, and a lost announcement costs the wait, never the answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from shared.changes import Changes
from shared.db import Database, changes_channel
from tests.integration.probe import probes
from tests.support import eventually


class Reads:
    """A waiter's `ready()`: whether a note with this body is committed, counting how often it was asked."""

    def __init__(self, db: Database, body: str):
        self.db, self.body, self.count, self.busy = db, body, 0, False

    async def __call__(self) -> bool:
        self.count, self.busy = self.count + 1, True
        try:
            return bool(await self.db.fetchval("SELECT count(*) FROM notes WHERE body = $1", self.body))
        finally:
            self.busy = False


async def note(db: Database, body: str, *, announce: bool = True) -> None:
    async with db.transaction() as tx:
        await tx.conn.execute("INSERT INTO notes (body) VALUES ($1)", body)
        if announce:
            tx.changed(body)


async def listeners(db: Database, service: str) -> int:
    """Sessions of this database whose last statement was the LISTEN on the service's changes channel."""
    return await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' "
        "AND query = $1", f'LISTEN "{changes_channel(service)}"')


async def waiting(changes: Changes, reads: list[Reads], timeout: float) -> list[asyncio.Task[bool]]:
    """Start one wait per `reads`; return once the listener is up and every waiter has read and is idle (the
    listener's start wakes every waiter once: that read is over too)."""
    tasks = [asyncio.create_task(changes.wait(r.body, r, timeout)) for r in reads]
    while True:
        await eventually(lambda: changes.listening and changes.waiting == len(reads)
                         and all(r.count and not r.busy for r in reads))
        for _ in range(10):  # let wake-ups already scheduled start their read
            await asyncio.sleep(0)
        if not any(r.busy for r in reads):
            return tasks



async def elapsed(work: Callable[[], Awaitable[object]]) -> tuple[object, float]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await work()
    return result, loop.time() - started


async def test_a_waiter_is_woken_by_the_commit_and_reads_once_more(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer") as (writer,):
        changes = Changes(writer.db.pool, "writer")
        try:
            reads = Reads(writer.db, "k1")
            [task] = await waiting(changes, [reads], timeout=30)
            before = reads.count
            (answer, seconds) = await elapsed(lambda: _commit_then(writer.db, "k1", task))
            assert answer is True and seconds < 10, "woken by the commit, not by the 30 s deadline"
            assert reads.count == before + 1, "one read per announcement, no polling"
        finally:
            await changes.close()


async def _commit_then(db: Database, key: str, task: asyncio.Task[bool]) -> bool:
    await note(db, key)
    return await task


async def test_one_listener_connection_serves_every_waiter_and_wakes_only_the_named_one(
        database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer") as (writer,):
        changes = Changes(writer.db.pool, "writer")
        try:
            reads = [Reads(writer.db, f"k{i}") for i in range(20)]
            tasks = await waiting(changes, reads, timeout=30)
            assert await listeners(writer.db, "writer") == 1
            counts = [r.count for r in reads]
            await note(writer.db, "k0")
            assert await tasks[0] is True
            # k19 is announced after k0 and read after it: had k0's announcement woken anyone else, their
            # read would have started before k19's ended.
            await note(writer.db, "k19")
            assert await tasks[19] is True
            assert [r.count for r in reads[1:19]] == counts[1:19]
            assert changes.waiting == 18
            for task in tasks[1:19]:
                task.cancel()
            await asyncio.gather(*tasks[1:19], return_exceptions=True)
            assert changes.waiting == 0
        finally:
            await changes.close()


async def test_a_lost_announcement_costs_the_wait_never_the_answer(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer") as (writer,):
        changes = Changes(writer.db.pool, "writer")
        try:
            reads = Reads(writer.db, "quiet")
            started = asyncio.get_running_loop().time()
            [task] = await waiting(changes, [reads], timeout=2)
            before = reads.count
            await note(writer.db, "quiet", announce=False)  # committed, never announced
            assert await task is True, "the last read at the deadline sees the commit"
            assert asyncio.get_running_loop().time() - started >= 2, "found at the deadline: nobody polled"
            assert reads.count == before + 1
            assert await changes.wait("never", Reads(writer.db, "never"), 0.2) is False
        finally:
            await changes.close()


async def test_the_listener_comes_back_after_its_connection_is_killed(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer") as (writer,):
        changes = Changes(writer.db.pool, "writer")
        try:
            reads = Reads(writer.db, "after")
            [task] = await waiting(changes, [reads], timeout=60)
            killed = await writer.db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query = $1", f'LISTEN "{changes_channel("writer")}"')
            assert killed == 1
            await eventually(lambda: not changes.listening)
            await eventually(lambda: changes.listening, timeout=20)
            await note(writer.db, "after")
            (answer, seconds) = await elapsed(lambda: task)
            assert answer is True and seconds < 20
        finally:
            await changes.close()
