"""The skeleton every service shares: resources in cleanup_ctx, consumers, outbox relay, jobs, health.

A service's create_app(settings) calls `create_service_app` with its handlers and background jobs, then
adds its routes. Nothing global: the app object owns every resource, so tests can host several services
in one process and build each with test settings.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

from aiohttp import web

from shared.bus import Bus
from shared.changes import Changes
from shared.db import Database, create_pool, lent, migrate
from shared.edge import add_security_headers, install_problem_parser_errors
from shared.events.base import EventData
from shared.http import Metrics, internal_only_middleware, json_response, request_context_middleware
from shared.inbox import Consumer, Handler
from shared.logging import configure_logging, get_logger
from shared.outbox import OutboxRelay
from shared.settings import InsecureSettings, ServiceSettings

DB = web.AppKey("db", Database)
BUS = web.AppKey("bus", Bus)
SETTINGS = web.AppKey("settings", ServiceSettings)
METRICS = web.AppKey("metrics", Metrics)
RELAY = web.AppKey("relay", OutboxRelay)
CHANGES = web.AppKey("changes", Changes)  # waiting for another transaction's commit (shared.changes)

Job = Callable[[web.Application], Coroutine[Any, Any, None]]


def create_service_app(settings: ServiceSettings, *, handlers: Mapping[type[EventData], Handler] | None = None,
                       jobs: list[Job] | None = None, middlewares: list[Any] | None = None,
                       public: bool = False) -> web.Application:
    """`public`: the gateway's API faces clients; every other service's API takes only the gateway.
    Raises InsecureSettings when a secret is empty or a known default outside development."""
    settings.check_secrets()
    metrics = Metrics(settings.service)
    guard = [internal_only_middleware(settings.internal_token)] if settings.internal_token and not public else []
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_context_middleware(settings.service), metrics.middleware(), *guard,
                     *(middlewares or [])])
    app[SETTINGS] = settings
    app[METRICS] = metrics
    install_problem_parser_errors()
    app.on_response_prepare.append(add_security_headers)
    app.cleanup_ctx.append(_resources(settings, dict(handlers or {}), list(jobs or [])))
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", metrics.handler)
    return app


def _resources(settings: ServiceSettings, handlers: dict[type[EventData], Handler], jobs: list[Job]
               ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        log = get_logger(settings.service)
        pool = await create_pool(settings.own_dsn, settings.service,
                                 min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        async with pool.acquire() as conn:
            applied = await migrate(lent(conn), settings.service)
        if applied:
            log.info("migrations applied", versions=applied)
        db = app[DB] = Database(pool, settings.service)
        changes = app[CHANGES] = Changes(pool, settings.service)
        bus = app[BUS] = Bus(settings.amqp_url, prefix=settings.bus_prefix, service=settings.service,
                             prefetch=settings.prefetch, retry_delays_ms=settings.retry_delays_ms,
                             max_attempts=settings.max_attempts)
        await bus.connect()
        relay = app[RELAY] = OutboxRelay(pool, bus, settings.service, poll_seconds=settings.outbox_poll_seconds)
        tasks = [asyncio.create_task(relay.run(), name=f"{settings.service}-outbox")]
        tasks += [asyncio.create_task(job(app), name=f"{settings.service}-{job.__name__}") for job in jobs]
        if handlers:
            consumer = Consumer(db, bus)
            for model, handler in handlers.items():
                consumer.on(model, _counted(handler, app[METRICS], model.TYPE))
            await consumer.start()
        log.info("service started")
        try:
            yield
        finally:
            await bus.stop_consuming()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await bus.close()
            await changes.close()
            await pool.close()
            log.info("service stopped")

    return resources


def _counted(handler: Handler, metrics: Metrics, event_type: str) -> Handler:
    async def counted(tx: Any, event: Any) -> None:
        await handler(tx, event)
        metrics.events.labels(metrics.service, event_type).inc()

    return counted


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


def run_service(app_factory: Callable[[Any], web.Application], settings: ServiceSettings) -> None:
    """Entry point of `python -m services.<name>`: JSON logs, uvloop, graceful shutdown. Exits with a message
    naming the variables to set when a secret is missing or a known default (see check_secrets)."""
    import uvloop

    configure_logging(settings.log_level)
    try:
        app = app_factory(settings)
    except InsecureSettings as refused:
        raise SystemExit(str(refused)) from None
    uvloop.install()
    web.run_app(app, host=settings.http_host, port=settings.http_port,
                shutdown_timeout=15, print=None, access_log=None)
