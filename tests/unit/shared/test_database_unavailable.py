"""Which failures mean "the database is away" (503, may run again) and which are bugs (500)."""

import errno

import asyncpg
import pytest

from shared.db import database_unavailable

AWAY = [
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.TooManyConnectionsError("too many connections for database \"mpmall\""),
    asyncpg.InterfaceError("cannot call Connection.fetch(): connection has been released back to the pool"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    ConnectionResetError("Connection reset by peer"),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432), [Errno 111] ..."),
]
BUGS = [
    asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
    asyncpg.UndefinedColumnError("column \"x\" does not exist"),
    asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
    asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
    TimeoutError(),
    FileNotFoundError(errno.ENOENT, "no such file"),
    ValueError("bad"),
]


@pytest.mark.parametrize("exc", AWAY, ids=lambda e: type(e).__name__)
def test_a_dropped_or_refused_connection_is_the_database_being_away(exc: BaseException) -> None:
    assert database_unavailable(exc)


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_a_wrong_query_or_a_bug_is_not(exc: BaseException) -> None:
    assert not database_unavailable(exc)


def test_a_cause_counts_when_a_handler_re_raised_it() -> None:
    try:
        try:
            raise asyncpg.AdminShutdownError("terminating connection due to administrator command")
        except asyncpg.PostgresError as exc:
            raise RuntimeError("could not load the cart") from exc
    except RuntimeError as wrapped:
        assert database_unavailable(wrapped)
