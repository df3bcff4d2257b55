"""create_app(settings): the catalog service with its routes and event handlers."""

from __future__ import annotations

from aiohttp import web

from services.catalog import api, merchant_api
from services.catalog.handlers import make_handlers
from services.catalog.settings import CatalogSettings
from shared.service import create_service_app


def create_app(settings: CatalogSettings) -> web.Application:
    app = create_service_app(settings, handlers=make_handlers(settings))
    app.router.add_routes(api.routes)
    app.router.add_routes(merchant_api.routes)
    return app
