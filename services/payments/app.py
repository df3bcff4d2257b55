"""create_app(settings): the shared service skeleton plus the Alipay client, routes, handlers, reconcile job."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from services.payments import bills_api
from services.payments.api import add_routes
from services.payments.bill_jobs import bills_job
from services.payments.context import CONTEXT, Context
from services.payments.handlers import handlers
from services.payments.reconcile import reconcile_job
from services.payments.settings import PaymentsSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: PaymentsSettings, *, clock: Clock | None = None) -> web.Application:
    if not settings.app_private_key_pem or not settings.alipay_public_key_pem:
        raise ValueError("payments needs MALL_ALIPAY_APP_PRIVATE_KEY(_FILE) and MALL_ALIPAY_PUBLIC_KEY(_FILE)")
    app: web.Application
    app = create_service_app(settings, handlers=handlers(lambda: app[CONTEXT]), jobs=[reconcile_job, bills_job])
    # First in line: the Alipay client exists before the skeleton starts consumers and jobs that use it.
    app.cleanup_ctx.insert(0, _alipay(settings, clock or Clock()))
    add_routes(app)
    bills_api.add_routes(app)
    return app


def _alipay(settings: PaymentsSettings, clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def alipay(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            client = settings.alipay_client(session)
            app[CONTEXT] = Context(app, client, settings, clock)
            yield

    return alipay
