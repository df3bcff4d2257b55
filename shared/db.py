"""PostgreSQL: one schema and one login role per service, migrations, pools and transactions.

The admin DSN (a superuser, used by operators and tests) only bootstraps; a running service logs in as
`mall_<service>`, which owns its schema and has no rights on any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import orjson

from shared.events.base import Event, EventData
from shared.logging import correlation_id_var, get_logger
from shared.tracing import current_traceparent

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"

# What a store function may run its SQL on: a connection of its own, the one the pool lends (a proxy that
# forwards every Connection method), or the pool itself for reads that need no transaction.
Queryable = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy | asyncpg.Pool


def lent(conn: asyncpg.pool.PoolConnectionProxy) -> asyncpg.Connection:
    """A connection the pool lends, typed as the Connection whose every method its proxy forwards."""
    return cast(asyncpg.Connection, conn)


def returned(row: asyncpg.Record | None) -> asyncpg.Record:
    """The row a statement always gives (an INSERT … RETURNING of a fresh id, an aggregate)."""
    assert row is not None
    return row


ROOT = Path(__file__).resolve().parent.parent


def role_name(service: str) -> str:
    return f"mall_{service}"


def service_dsn(admin_dsn: str, service: str, password: str | None = None) -> str:
    """The admin DSN with the user (and password) replaced by the service's own role."""
    parts = urlsplit(admin_dsn)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    secret = f":{quote(password or role_name(service), safe='')}"
    return urlunsplit((parts.scheme, f"{role_name(service)}{secret}@{host}{port}", parts.path, parts.query, ""))


def migrations_dir(service: str) -> Path:
    return ROOT / "services" / service / "migrations"


def service_extensions(service: str) -> Sequence[str]:
    """Extensions a service needs (e.g. pg_trgm), declared as EXTENSIONS in services/<name>/__init__.py."""
    try:
        module = importlib.import_module(f"services.{service}")
    except ModuleNotFoundError:
        return ()
    return tuple(getattr(module, "EXTENSIONS", ()))


async def bootstrap(admin_dsn: str, service: str, password: str | None = None,
                    directory: Path | None = None) -> None:
    """Create the service's role and schema (idempotent), then run its migrations as that role."""
    role = role_name(service)
    secret = password or role
    admin = await asyncpg.connect(admin_dsn)
    try:
        # Roles are cluster-wide: two bootstraps at once (parallel test runs) must not trip over each other.
        # The advisory lock serialises those on one database only (advisory locks are per database), so a
        # role changed at once from another database ("tuple concurrently updated") is tried again.
        await admin.execute("SELECT pg_advisory_lock(hashtext('mall.bootstrap'))")
        try:
            for attempt in range(1, 6):
                try:
                    await _role_and_schema(admin, service, role, secret)
                    break
                except asyncpg.exceptions.InternalServerError as exc:
                    if "tuple concurrently updated" not in str(exc) or attempt == 5:
                        raise
                    await asyncio.sleep(0.1 * attempt)
        finally:
            await admin.execute("SELECT pg_advisory_unlock(hashtext('mall.bootstrap'))")
    finally:
        await admin.close()
    conn = await asyncpg.connect(service_dsn(admin_dsn, service, password),
                                 server_settings={"search_path": service})
    try:
        await migrate(conn, service, directory)
    finally:
        await conn.close()


async def _role_and_schema(admin: asyncpg.Connection, service: str, role: str, secret: str) -> None:
    """The service's role (its password set again) and schema, and its extensions; each statement idempotent."""
    exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    await admin.execute(f"{verb} ROLE {role} LOGIN PASSWORD {_literal(secret)}")
    await admin.execute(f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {role}")
    await admin.execute(f"REVOKE ALL ON SCHEMA {service} FROM PUBLIC")
    await admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for ext in service_extensions(service):
        await admin.execute(f"CREATE EXTENSION IF NOT EXISTS {ext} WITH SCHEMA {service}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def changes_channel(service: str) -> str:
    """Where `Tx.changed` keys are announced after commit (shared.changes listens)."""
    return f"mall_changes_{service}"


def _escaped_literal(text: str) -> str:
    """A string constant that means `text` whatever standard_conforming_strings says (NOTIFY takes no $1)."""
    return "E" + _literal(text.replace("\\", "\\\\"))


async def migrate(conn: asyncpg.Connection, service: str, directory: Path | None = None) -> list[str]:
    """Apply shared then service migrations not yet applied, each in its own transaction.

    An advisory lock makes concurrent starts of several replicas apply each file once.
    """
    files = [("shared", p) for p in sorted(SHARED_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql"))]
    own = directory or migrations_dir(service)
    files += [(service, p) for p in sorted(own.glob("[0-9][0-9][0-9][0-9]_*.sql"))] if own.exists() else []
    applied: list[str] = []
    lock = f"mall.migrate.{service}"
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for origin, path in files:
            version = f"{origin}/{path.name}"
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            applied.append(version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock)
    return applied


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, schema="pg_catalog", format="text",
                                  encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads)


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """What a connection needs before the pool lends it again, beyond asyncpg's own client-side reset (which
    still runs: listener callbacks dropped, a transaction left open rolled back): nothing.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip that cost about a tenth of a busy service's CPU. Pooled connections carry no session
    state for it to undo: advisory locks are `pg_advisory_xact_lock` (bootstrap's runs on a connection of its own,
    migrate's is unlocked in its `finally`), settings are `SET LOCAL` / `set_config(…, true)`, cursors live in
    transactions, and the LISTEN holder (shared.changes) UNLISTENs before it gives its connection back.
    New code on pooled connections must keep to those transaction-scoped forms."""


async def create_pool(dsn: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, command_timeout=30, init=_init_connection,
        reset=_keep_session, server_settings={"search_path": schema, "application_name": f"mall_{schema}"})
    assert pool is not None
    return pool


class Tx:
    """A connection inside a transaction that can also write events to the outbox.

    Writing the event here, with the business rows, is what makes "nothing lost, nothing twice" possible.
    """

    def __init__(self, conn: asyncpg.Connection, producer: str, correlation_id: str | None = None):
        self.conn = conn
        self.producer = producer
        self.correlation_id = correlation_id
        self.emitted = 0
        self.changes: set[str] = set()

    def changed(self, key: str) -> None:
        """Wake whoever waits for `key` (shared.changes.Changes.wait), in any replica, once this commits."""
        self.changes.add(key)

    async def emit(self, data: EventData) -> Event[Any]:
        correlation_id = self.correlation_id or correlation_id_var.get()
        envelope = Event.wrap(data, producer=self.producer, correlation_id=correlation_id)
        await self.conn.execute(  # the emitting span, for the relay to carry on (shared.tracing)
            "INSERT INTO outbox (event_id, event_type, payload, trace_context) VALUES ($1, $2, $3, $4)",
            envelope.id, envelope.type, envelope.to_json(), current_traceparent())
        self.emitted += 1
        return envelope


# --- the database is away: one classification for every caller ---------------------------------------

_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and "connection was closed in the middle of operation"
    asyncpg.AdminShutdownError,  # 57P01: pg_terminate_backend, "terminating connection due to administrator command"
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up or shutting down
    asyncpg.TooManyConnectionsError,  # 53300: max_connections or a role's or database's CONNECTION LIMIT
    ConnectionError,  # reset, refused, aborted, broken pipe on the socket
)
_UNAVAILABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                                 errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT})
# What asyncpg says when it finds its connection gone (the server closed it under a pool connection).
_UNAVAILABLE_INTERFACE_TEXT = ("connection is closed", "released back to the pool", "pool is closing",
                               "underlying connection is closed")
# An idle pooled connection whose server sent its FATAL "terminating connection" before asyncpg saw the socket
# close: the next query finds the protocol out of step ("cannot switch to state 15; another operation (2) is
# in progress"). The connection is dead; a fresh one works.
_UNAVAILABLE_CLIENT_TEXT = ("cannot switch to state", "not connected")


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) means the database was out of reach, not that a query
    was wrong: the connection was dropped or terminated, or a new one was refused. Such a failure is
    transient: callers answer 503 and may retry where that is safe; anything else is a bug (a 500)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 4:
        if isinstance(current, _UNAVAILABLE_TYPES):
            return True
        if isinstance(current, asyncpg.InterfaceError) and any(
                text in str(current) for text in _UNAVAILABLE_INTERFACE_TEXT):
            return True
        if isinstance(current, asyncpg.InternalClientError) and any(
                text in str(current) for text in _UNAVAILABLE_CLIENT_TEXT):
            return True
        # Connecting to several addresses (localhost: ::1 and 127.0.0.1) fails with a bare OSError.
        if type(current) is OSError and (current.errno in _UNAVAILABLE_ERRNOS or current.errno is None):
            return True
        current, seen = current.__cause__, seen + 1
    return False


# What a commit announces on its service's changes channel to wake the outbox relays (shared.outbox): one key
# of the channel shared.changes listens to, so a process holds one LISTEN connection, not one per listener.
OUTBOX_KEY = "outbox:committed"


_log = get_logger("mall", component="db")


class Database:
    """A service's pool plus the one way to open a transaction."""

    def __init__(self, pool: asyncpg.Pool, service: str):
        self.pool = pool
        self.service = service
        # Wakes the outbox relay of this very process (shared.service sets it): then an emitting commit needs
        # no NOTIFY for the relay. Writers without one of their own (seeds, scripts) NOTIFY the relays.
        self.wake_own_relay: Callable[[], None] | None = None

    @asynccontextmanager
    async def transaction(self, correlation_id: str | None = None) -> AsyncIterator[Tx]:
        conn, xact = await self._begin()
        try:
            tx = Tx(conn, self.service, correlation_id)
            try:
                yield tx
            except BaseException:
                # A connection that died took its transaction with it (the server rolls it back): the error
                # that killed the work is the one to raise, not the ROLLBACK's "connection is closed".
                with contextlib.suppress(Exception):
                    await xact.rollback()
                raise
            await xact.commit()
            if tx.emitted or tx.changes:
                await self._wake_relay(conn, tx)
        finally:
            await self.pool.release(conn)

    async def _begin(self) -> tuple[Any, Any]:
        """A pooled connection inside BEGIN. A connection that is gone before BEGIN went through (killed while
        idle in the pool, or refused) is replaced once: nothing ran on it, so trying again is always safe.
        A failure after BEGIN is for the caller to judge (`database_unavailable`; shared.http retries reads
        and keyed writes)."""
        for attempt in (1, 2):
            conn: Any = None
            try:
                conn = await self.pool.acquire()
                xact = conn.transaction()
                await xact.start()
                return conn, xact
            except BaseException as exc:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await self.pool.release(conn)
                if attempt == 2 or not isinstance(exc, Exception) or not database_unavailable(exc):
                    raise
                _log.info("database connection lost before BEGIN; retrying", service=self.service,
                          error=repr(exc))
        raise AssertionError("unreachable")

    async def _wake_relay(self, conn: asyncpg.Connection, tx: Tx) -> None:
        """Wake the outbox relay (and the waiters of `tx.changed` keys) after the commit: this process's relay
        directly, another's (and the waiters, in any replica) by NOTIFY in a transaction of its own.

        A transaction that NOTIFYs holds a database-wide lock from its commit until its WAL is flushed, so
        NOTIFY inside the business transaction would make every emitting commit wait for the one before it
        (no group commit: a hot SKU's reservations ran at a fifth of the bare UPDATE rate). Here the business
        commit is already done, and the wake-up needn't be durable: a lost one is covered by polling (a waiter's
        by its last read at its deadline).
        """
        keys = sorted(tx.changes)
        if tx.emitted and self.wake_own_relay is not None:
            self.wake_own_relay()  # this process's relay publishes what it committed; no round trip for it
        elif tx.emitted:
            keys.append(OUTBOX_KEY)
        notices = [f"NOTIFY {changes_channel(self.service)}, {_escaped_literal(key)}" for key in keys]
        if not notices:
            return
        try:
            await conn.execute(f"BEGIN; SET LOCAL synchronous_commit TO off; {'; '.join(notices)}; COMMIT")
        except Exception:  # noqa: BLE001 - committed; the relay polls, a waiter reads again at its deadline
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.pool.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self.pool.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self.pool.fetchval(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        return await self.pool.execute(query, *args)
