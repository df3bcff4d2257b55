"""create_app(settings) for the logistics sandbox: a plain aiohttp app (no database, no bus)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.logistics_sandbox import api
from services.logistics_sandbox.api import PUSHER, SANDBOX
from services.logistics_sandbox.domain import Sandbox
from services.logistics_sandbox.pusher import Pusher
from services.logistics_sandbox.settings import LogisticsSandboxSettings
from shared.http import json_response, request_context_middleware

CONFIG = web.AppKey("config", LogisticsSandboxSettings)


def create_app(settings: LogisticsSandboxSettings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[request_context_middleware(settings.service)])
    app[CONFIG] = settings
    app[SANDBOX] = Sandbox(settings.kuaidi100_key)
    app.cleanup_ctx.append(_pusher)
    app.router.add_get("/healthz", _healthz)
    app.router.add_routes(api.routes)
    return app


async def _pusher(app: web.Application) -> AsyncIterator[None]:
    settings = app[CONFIG]
    async with aiohttp.ClientSession() as session:
        app[PUSHER] = Pusher(session, settings.push_retry_delays_s, settings.push_timeout_s)
        yield
        await app[PUSHER].close()


async def _healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})
