"""Transient faults in a request: run it once more where that is safe, and tell a client that left apart.

The error middleware in shared.http calls `once_more_if_safe` around every handler; which failures count
as "the database is away" is `shared.db.database_unavailable`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiohttp import ClientPayloadError, web
from aiohttp.http_exceptions import HttpProcessingError

from shared.db import database_unavailable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Replay:
    """Whether the request in hand may run again after a dropped connection, beyond its method being safe."""

    keyed = False  # its writes went through run_idempotent: a replay answers from the key or runs anew


_replay: ContextVar[_Replay | None] = ContextVar("replay", default=None)


def mark_replay_safe() -> None:
    """Called by shared.http.run_idempotent: this request's writes are keyed, so running it again is safe."""
    replay = _replay.get()
    if replay is not None:
        replay.keyed = True


async def once_more_if_safe(request: web.Request, handler: Handler, log: Any) -> web.StreamResponse:
    """Run the handler; if the database dropped the connection, run it once more where that cannot do a
    thing twice: a read, or a write whose Idempotency-Key is stored with its effects (run_idempotent).

    Other writes are not replayed: after a failure at COMMIT nobody knows whether they happened, and a
    handler may have acted outside the database (called Alipay or another service) before it failed.
    Those answer 503 and the client decides. A failure before BEGIN is retried lower down, in
    shared.db.Database.transaction, for every caller.
    """
    replay = _Replay()
    token = _replay.set(replay)
    try:
        try:
            return await handler(request)
        except Exception as exc:
            if not (database_unavailable(exc) and (request.method in SAFE_METHODS or replay.keyed)
                    and not client_gone(request) and request.writer.output_size == 0):
                raise
            log.info("database connection lost; running the request once more", path=request.path,
                     error=repr(exc))
        return await handler(request)
    finally:
        _replay.reset(token)


def client_gone(request: web.Request) -> bool:
    """The client closed its connection (reading its body then fails with ConnectionResetError)."""
    transport = request.transport
    return transport is None or transport.is_closing()


# What reading from a client that went away raises; anything else stays a bug even if the client left too.
_CLIENT_LEFT = (ConnectionError, ClientPayloadError, HttpProcessingError)


def client_left(request: web.Request, exc: BaseException) -> bool:
    """`exc` is the client's leaving (not ours to log as an error): the connection is gone and the handler
    failed on it."""
    return isinstance(exc, _CLIENT_LEFT) and client_gone(request)
