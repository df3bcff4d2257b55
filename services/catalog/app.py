"""create_app(settings): the catalog service with its routes and event handlers."""

from __future__ import annotations

from aiohttp import web

from services.catalog import api
from services.catalog.deps import build_deps
from services.catalog.handlers import HANDLERS
from services.catalog.jobs import JOBS
from services.catalog.settings import CatalogSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: CatalogSettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS, build_deps=build_deps)
    app.router.add_routes(api.routes)
    return app
