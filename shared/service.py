"""The skeleton every service shares: resources in cleanup_ctx, consumers, outbox relay, jobs, health.

A service's `create_app(settings, *, clock=None)` calls `create_service_app` with its handler table
(`Handlers`), its periodic `Job`s and, when it has outside clients, how to build its `Deps`; then it adds its
routes. Nothing global: the app object owns every resource, so tests can host several services in one process
and build each with test settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

import aiohttp
import asyncpg
from aiohttp import web

from shared.bus import Bus
from shared.changes import Changes
from shared.clock import Clock
from shared.db import Database, Tx, create_pool, database_unavailable, lent, migrate
from shared.edge import add_security_headers, install_problem_parser_errors
from shared.events.base import Event, EventData
from shared.http import Metrics, internal_only_middleware, json_response, request_context_middleware
from shared.inbox import Consumer, Handler
from shared.logging import configure_logging, get_logger
from shared.outbox import OutboxRelay
from shared.settings import InsecureSettings, ServiceSettings
from shared.tracing import configure_tracing, shutdown_tracing, tracing_active, tracing_middleware

S = TypeVar("S", bound=ServiceSettings)
E = TypeVar("E", bound=EventData)


@dataclass(frozen=True)
class Deps(Generic[S]):
    """What a service's handlers, flows and jobs are given, built by the skeleton once its resources are open.
    A service with outside clients (payments' Alipay) subclasses it and passes `build_deps`."""

    settings: S
    db: Database
    bus: Bus
    clock: Clock
    http: aiohttp.ClientSession  # calls to the outside world; closed with the app
    changes: Changes  # waiting for another transaction's commit (shared.changes)


DepsT = TypeVar("DepsT", bound=Deps[Any])


def with_clients(base: Deps[Any], kind: type[DepsT], **clients: Any) -> DepsT:
    """`base` as the service's own Deps subclass `kind`, its outside clients added (a service's `build_deps`)."""
    return kind(**{f.name: getattr(base, f.name) for f in fields(base)}, **clients)
AnyHandler = Callable[[Any, Tx, Event[Any]], Awaitable[None]]


class Handlers(Generic[DepsT]):
    """A service's event handlers: `HANDLERS = Handlers[CatalogDeps]().on(OrderPlaced, on_order_placed)`.
    `on` is typed so that a handler must take the very event it is registered for."""

    def __init__(self) -> None:
        self.table: dict[type[EventData], AnyHandler] = {}
        self.needs: dict[type[EventData], Callable[[Any], bool]] = {}
        self.retired: list[type[EventData]] = []

    def on(self, model: type[E], handler: Callable[[DepsT, Tx, Event[E]], Awaitable[None]],
           needs: Callable[[E], bool] | None = None) -> Handlers[DepsT]:
        """`needs`: whether an event asks anything of the service, from its data alone. One that does not is
        acknowledged without a transaction (shared.inbox.Consumer.on): only for events the handler would leave
        alone whatever came before, so that handling one twice, or not at all, is the same."""
        if model in self.table or model in self.retired:
            raise ValueError(f"{model.TYPE} has a handler already, or is retired")
        self.table[model] = handler
        if needs is not None:
            self.needs[model] = needs
        return self

    def retire(self, model: type[EventData]) -> Handlers[DepsT]:
        """An event an earlier version of the service consumed and this one does not: the queue's binding to it
        is removed at start (shared.inbox.Consumer.retire), so the broker stops delivering it here."""
        if model in self.table or model in self.retired:
            raise ValueError(f"{model.TYPE} has a handler, or is retired already")
        self.retired.append(model)
        return self


@dataclass(frozen=True)
class Job(Generic[DepsT]):
    """Periodic work: `run(deps)` every `every(deps)` seconds (at once at start when `at_start`). It must be
    safe with several replicas (claim rows with FOR UPDATE SKIP LOCKED). A failing round is logged and the
    next one tries again, so a database outage never ends a job."""

    run: Callable[[DepsT], Awaitable[object]]
    every: Callable[[DepsT], float]
    at_start: bool = False

    @property
    def name(self) -> str:
        return str(getattr(self.run, "__name__", "job"))


DB = web.AppKey("db", Database)
BUS = web.AppKey("bus", Bus)
SETTINGS = web.AppKey("settings", ServiceSettings)
METRICS = web.AppKey("metrics", Metrics)
RELAY = web.AppKey("relay", OutboxRelay)
DEPS = web.AppKey("deps", Deps)  # each service reads it through its own typed `deps_of(app)`
BuildDeps = Callable[[Deps[Any]], Deps[Any]]


def create_service_app(settings: ServiceSettings, *, clock: Clock | None = None,
                       handlers: Handlers[Any] | None = None, jobs: Sequence[Job[Any]] = (),
                       build_deps: BuildDeps | None = None, middlewares: list[Any] | None = None,
                       public: bool = False) -> web.Application:
    """`clock`: tests pass a ManualClock to move time. `public`: the gateway's API faces clients; every other
    service's API takes only the gateway. Raises InsecureSettings when a secret is empty or a known default
    outside development."""
    settings.check_secrets()
    metrics = Metrics(settings.service)
    guard = [internal_only_middleware(settings.internal_token)] if settings.internal_token and not public else []
    traced = [tracing_middleware(settings.service)] if tracing_active() else []  # off: not even a no-op span
    # Metrics outside the request context: it counts every answer as sent, refusals and errors included
    # (inside, an exception passed it on its way to becoming a problem document).
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[*traced, metrics.middleware(), request_context_middleware(settings.service), *guard,
                     *(middlewares or [])])
    app[SETTINGS] = settings
    app[METRICS] = metrics
    install_problem_parser_errors()
    app.on_response_prepare.append(add_security_headers)
    app.cleanup_ctx.append(_resources(settings, clock or Clock(), handlers or Handlers(), list(jobs),
                                      build_deps or _as_is))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", metrics.handler)
    return app


def _as_is(deps: Deps[Any]) -> Deps[Any]:
    return deps


def _resources(settings: ServiceSettings, clock: Clock, handlers: Handlers[Any], jobs: list[Job[Any]],
               build_deps: BuildDeps) -> Callable[[web.Application], AsyncIterator[None]]:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        log = get_logger(settings.service)
        pool = await create_pool(settings.own_dsn, settings.service,
                                 min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        async with pool.acquire() as conn:
            applied = await migrate(lent(conn), settings.service)
        if applied:
            log.info("migrations applied", versions=applied)
        db = app[DB] = Database(pool, settings.service)
        changes = Changes(pool, settings.service)
        bus = app[BUS] = Bus(settings.amqp_url, prefix=settings.bus_prefix, service=settings.service,
                             prefetch=settings.prefetch, retry_delays_ms=settings.retry_delays_ms,
                             max_attempts=settings.max_attempts, batch_size=settings.consume_batch,
                             workers=settings.consume_workers)
        await bus.connect()
        relay = app[RELAY] = OutboxRelay(pool, bus, settings.service, changes=changes,
                                         poll_seconds=settings.outbox_poll_seconds,
                                         listening_poll_seconds=settings.outbox_listening_poll_seconds)
        db.wake_own_relay = relay.wake
        http = aiohttp.ClientSession()
        # Built before any consumer or job starts, so both always find every dependency in place.
        deps = app[DEPS] = build_deps(Deps(settings, db, bus, clock, http, changes))
        tasks = [asyncio.create_task(relay.run(), name=f"{settings.service}-outbox")]
        tasks += [asyncio.create_task(_every(job, deps), name=f"{settings.service}-{job.name}") for job in jobs]
        if handlers.table:
            consumer = Consumer(db, bus)
            for model, handler in handlers.table.items():
                consumer.on(model, _counted(deps, handler, app[METRICS], model.TYPE), handlers.needs.get(model))
            for model in handlers.retired:
                consumer.retire(model)
            await consumer.start()
        log.info("service started")
        try:
            yield
        finally:
            await bus.stop_consuming()
            await stop_tasks(tasks, log)
            await bus.close()
            await http.close()
            await changes.close()
            await _close_pool(pool, log)
            log.info("service stopped")

    return resources


async def stop_tasks(tasks: list[asyncio.Task[None]], log: Any, seconds: float = 10.0) -> None:
    """Cancel the background tasks and wait for them to end. A cancel can be lost (Python 3.11's
    `asyncio.wait_for` swallows one that arrives as its wait ends), so the cancel is repeated each second;
    after `seconds` the stop goes on without the stragglers rather than hang."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    pending = set(tasks)
    while pending and loop.time() < until:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: a task that failed was logged where it failed
    if pending:
        log.warning("background tasks did not stop", tasks=sorted(t.get_name() for t in pending))


async def _close_pool(pool: asyncpg.Pool, log: Any, seconds: float = 10.0) -> None:
    """Close the pool, waiting for connections still lent out, but not for ever: a stop must end within the
    grace period an orchestrator gives it, so stragglers are cut after `seconds`."""
    try:
        await asyncio.wait_for(pool.close(), seconds)
    except TimeoutError:
        log.warning("database connections still in use at stop; closing them", seconds=seconds)
        pool.terminate()


def _counted(deps: Deps[Any], handler: AnyHandler, metrics: Metrics, event_type: str) -> Handler:
    async def counted(tx: Tx, event: Event[Any]) -> None:
        await handler(deps, tx, event)
        metrics.events.labels(metrics.service, event_type).inc()

    return counted


async def _every(job: Job[Any], deps: Deps[Any]) -> None:
    log = get_logger(deps.settings.service, job=job.name)
    if not job.at_start:
        await asyncio.sleep(job.every(deps))
    while True:
        try:
            await job.run(deps)
        except Exception as exc:  # the job outlives a failing round; the next one tries again
            if database_unavailable(exc):
                log.warning("job round skipped: database unavailable", error=repr(exc))
            else:
                log.exception("job round failed")
        await asyncio.sleep(job.every(deps))


async def _healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def _readyz(request: web.Request) -> web.Response:
    checks = {"database": False, "broker": False}
    with contextlib.suppress(Exception):
        checks["database"] = await asyncio.wait_for(request.app[DB].fetchval("SELECT true"), 2)
    checks["broker"] = request.app[BUS].is_connected
    ready = all(checks.values())
    return json_response({"status": "ready" if ready else "unavailable", "checks": checks},
                         status=200 if ready else 503)


# Python collects its young objects every 700 allocations (net of frees). A service with dozens of requests
# in flight holds about that many young objects at any time, so at that threshold each young collection found
# requests' objects alive and moved them on, until a full collection walked the whole heap (60 ms in the
# gateway, every few seconds under load). Far fewer collections at 10,000; none of the heap built at start
# is walked again (docs/benchmarks.md, perf-gateway4).
YOUNG_COLLECTION_THRESHOLD = 10_000


async def _freeze_startup_objects(_: web.Application) -> None:
    """The modules, models and resources built at start live as long as the process: moved out of the
    collector's reach (gc.freeze), so that its full collections walk only what requests and jobs leave."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


def run_service(app_factory: Callable[[Any], web.Application], settings: ServiceSettings) -> None:
    """Entry point of `python -m services.<name>`: JSON logs, uvloop, graceful shutdown. Exits with a message
    naming the variables to set when a secret is missing or a known default (see check_secrets)."""
    import uvloop

    configure_logging(settings.log_level)
    configure_tracing(settings.service)
    try:
        app = app_factory(settings)
    except InsecureSettings as refused:
        raise SystemExit(str(refused)) from None
    app.on_startup.append(_freeze_startup_objects)  # after the resources' start (cleanup_ctx comes first)
    uvloop.install()
    try:
        web.run_app(app, host=settings.http_host, port=settings.http_port,
                    shutdown_timeout=15, print=None, access_log=None)
    finally:
        shutdown_tracing()
