"""The marketing service's app factory."""

from __future__ import annotations

from aiohttp import web

from services.marketing import api
from services.marketing.deps import build_deps
from services.marketing.handlers import HANDLERS
from services.marketing.jobs import JOBS
from services.marketing.settings import MarketingSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: MarketingSettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS, build_deps=build_deps)
    app.router.add_routes(api.routes)
    return app
