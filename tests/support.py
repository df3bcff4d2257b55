"""Helpers every test uses: waiting for an eventual effect of events, and for proof that nothing else came."""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


async def eventually(probe: Callable[[], Awaitable[Any] | Any], timeout: float = 20.0,
                     interval: float = 0.05) -> Any:
    """Await `probe()` until it returns something truthy; fail with its last value after `timeout` s. A probe
    of this process's own state (a plain value, not awaitable) is taken as it is.

    A probe's failed assertion counts as "not yet" (a read that 404s or 422s until an event has arrived
    is how eventual consistency looks from outside); if the time runs out, that assertion is raised."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
        except AssertionError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(interval)
            continue
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)


async def handled_up_to(marker: Callable[[], Awaitable[Any]], seen: Callable[[], Awaitable[Any]],
                        bus: Any = None, timeout: float = 20.0) -> None:
    """Before asserting that nothing else happened: publish `marker` after the events under test, wait until
    the consumer has handled it (`seen()`), then, when `bus` (the consumer's shared.bus.Bus) is given, until
    none of the messages it took is still being handled. One queue delivers in order, so by then every
    message published before the marker is done, and "nothing else" is final rather than "not yet"."""
    await marker()
    await eventually(seen, timeout)
    if bus is not None:
        await eventually(lambda: bus.handling == 0, timeout)


async def listening(conn: Any, channel: str, timeout: float = 20.0) -> None:
    """Until a session of this database, idle, last ran `LISTEN` on `channel` (asyncpg's add_listener): from
    then on a NOTIFY on it is heard. `conn`: a connection or pool of the same role, or a superuser's."""
    await eventually(lambda: conn.fetchval(
        "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' "
        "AND query = $1", f'LISTEN "{channel}"'), timeout)



def held_address() -> socket.socket:
    """A local address held from now until a server takes it (`server_on`), for a server whose URL others must
    know before it starts. A port only looked up could meanwhile be taken by another test process."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def server_on(app: web.Application, sock: socket.socket) -> TestServer:
    return TestServer(app, host="127.0.0.1", port=sock.getsockname()[1], socket_factory=lambda *_: sock)
