"""create_app(settings): the shared service skeleton with payments' Deps (its Alipay client), handlers, jobs
and routes."""

from __future__ import annotations

from aiohttp import web

from services.payments import api
from services.payments.deps import build_deps
from services.payments.handlers import HANDLERS
from services.payments.jobs import JOBS
from services.payments.settings import PaymentsSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: PaymentsSettings, *, clock: Clock | None = None) -> web.Application:
    if not settings.app_private_key_pem or not settings.alipay_public_key_pem:
        raise ValueError("payments needs MALL_ALIPAY_APP_PRIVATE_KEY(_FILE) and MALL_ALIPAY_PUBLIC_KEY(_FILE)")
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS, build_deps=build_deps,
                             middlewares=[api.alipay_unavailable])
    app.router.add_routes(api.routes)
    return app
