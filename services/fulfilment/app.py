"""create_app(settings): the fulfilment service with its routes, event handlers and the subscription job."""

from __future__ import annotations

from aiohttp import web

from services.fulfilment import api
from services.fulfilment.deps import build_deps
from services.fulfilment.handlers import HANDLERS
from services.fulfilment.jobs import JOBS
from services.fulfilment.settings import FulfilmentSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: FulfilmentSettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS, build_deps=build_deps)
    app.router.add_routes(api.routes)
    return app
