"""create_app(settings) for the sandbox: a plain aiohttp app (no database, no bus) with the shared middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.alipay_sandbox import api, pages
from services.alipay_sandbox.api import CONFIG, NOTIFIER, SANDBOX
from services.alipay_sandbox.domain import Sandbox
from services.alipay_sandbox.notifier import Notifier
from services.alipay_sandbox.settings import SandboxSettings
from shared.http import json_response, request_context_middleware


def create_app(settings: SandboxSettings) -> web.Application:
    if not settings.private_key_pem or not settings.app_public_key_pem:
        raise ValueError("the sandbox needs MALL_ALIPAY_PRIVATE_KEY(_FILE) and MALL_ALIPAY_APP_PUBLIC_KEY(_FILE)")
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[request_context_middleware(settings.service)])
    app[CONFIG] = settings
    app[SANDBOX] = Sandbox(seller_id=settings.seller_id, default_credit_score=settings.default_credit_score)
    app.cleanup_ctx.append(_notifier)
    app.router.add_get("/healthz", _healthz)
    app.router.add_routes(api.routes)
    app.router.add_routes(pages.routes)
    return app


async def _notifier(app: web.Application) -> AsyncIterator[None]:
    settings = app[CONFIG]
    async with aiohttp.ClientSession() as session:
        app[NOTIFIER] = Notifier(session, settings.private_key_pem, settings.notify_retry_delays_s,
                                 settings.notify_timeout_s)
        yield
        await app[NOTIFIER].close()


async def _healthz(_: web.Request) -> web.Response:
    return json_response({"status": "ok"})
