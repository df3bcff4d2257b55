"""Waiting for what another transaction commits, without polling the database.

A writer marks a key in its transaction, `tx.changed(order_id)` (shared.db); after the commit the database
NOTIFYs the service's changes channel with that key, so every replica hears it. A reader waits with
`await changes.wait(key, ready, timeout)`: `ready()` (a read of the database) runs at once and again each
time the key is announced, until it is true or the time is up, with a last read at the deadline. The answer
always comes from a read, so a lost announcement (the listener reconnecting, a writer gone between its commit
and its NOTIFY) costs at most the wait, never a wrong answer.

A `Watcher` (`changes.watch(w)`) is told every key announced instead, and each time listening stops or
starts again: the gateway's memo of live sessions drops a session whose revocation is announced.

One LISTEN connection per process (per `Changes`), opened at the first wait or watch and shared by every
waiter and watcher (the outbox relay watches for `shared.db.OUTBOX_KEY`): a NOTIFY costs the database CPU
for every backend listening, so a process holds no other; each waiter is an asyncio.Event under its key.
Whenever the connection (re)starts listening, every waiter reads again: what was committed while nobody
listened is not missed for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

import asyncpg

from shared.db import changes_channel, lent
from shared.logging import get_logger

RECONNECT_SECONDS = (0.5, 10.0)  # first and longest pause before opening a lost LISTEN connection again


class Watcher(Protocol):
    """Told every announced key, not waiting for one (`Changes.watch`): e.g. a memo that drops what changed."""

    def announced(self, key: str) -> None: ...

    def restarted(self) -> None:
        """Listening stopped or started again: announcements may have been missed."""


class Changes:
    def __init__(self, pool: asyncpg.Pool, service: str):
        self.pool = pool
        self.channel = changes_channel(service)
        self.log = get_logger(service, component="changes")
        self.listening = False  # whether the LISTEN connection is up (waits end at their deadline if not)
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._watchers: list[Watcher] = []
        self._task: asyncio.Task[None] | None = None

    def watch(self, watcher: Watcher) -> None:
        """Tell `watcher` every key announced from now on, and each time listening stops or starts again
        (what was announced meanwhile is not known); listening starts now."""
        self._watchers.append(watcher)
        self._start()

    async def wait(self, key: str, ready: Callable[[], Awaitable[bool]], timeout: float) -> bool:
        """Until `ready()` is true (True) or `timeout` seconds have passed (False, after a last read)."""
        if timeout <= 0:
            return await ready()
        woken = asyncio.Event()
        waiters = self._waiters.setdefault(key, set())
        waiters.add(woken)  # before the first read: an announcement from here on is not missed
        self._start()
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        try:
            while True:
                woken.clear()
                if await ready():
                    return True
                left = until - loop.time()
                if left <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):  # not wait_for: on 3.11 it can swallow a cancel
                        await woken.wait()
        finally:
            waiters.discard(woken)
            if not waiters and self._waiters.get(key) is waiters:
                del self._waiters[key]

    @property
    def waiting(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name=f"{self.channel}-listener")

    def _announced(self, _conn: object, _pid: int, _channel: str, key: object) -> None:
        for woken in self._waiters.get(str(key), ()):
            woken.set()
        for watcher in self._watchers:
            watcher.announced(str(key))

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for woken in waiters:
                woken.set()
        for watcher in self._watchers:
            watcher.restarted()

    async def _listen(self) -> None:
        """Hold the LISTEN connection; when it is lost, say so once per outage and open it again."""
        first, longest = RECONNECT_SECONDS
        pause = first
        while True:
            try:
                await self._hold()
                error = "the server closed the connection"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database is away; waits end at their deadline
                error = repr(exc)
            if self.listening:
                self.log.warning("change listener lost; reconnecting", error=error)
                pause = first
            self.listening = False
            self._wake_all()  # each waiter reads once more instead of waiting on a silent channel
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)

    async def _hold(self) -> None:
        closed = asyncio.Event()
        async with self.pool.acquire() as proxy:
            conn = lent(proxy)
            # asyncpg detaches a pooled connection the server closed; this callback is how we learn of it.
            conn.add_termination_listener(lambda _conn: closed.set())
            await conn.add_listener(self.channel, self._announced)
            self.listening = True
            self._wake_all()  # what committed before LISTEN took effect: read again
            try:
                await closed.wait()
            finally:
                if not closed.is_set():  # cancelled (shutdown): give the pool a clean connection back
                    with contextlib.suppress(Exception):
                        await conn.remove_listener(self.channel, self._announced)
