"""create_app(settings): the shared service skeleton, a consumer of every event, and the metrics API."""

from __future__ import annotations

from aiohttp import web

from services.analytics import api
from services.analytics.handlers import HANDLERS
from services.analytics.settings import AnalyticsSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: AnalyticsSettings, *, clock: Clock | None = None) -> web.Application:
    app = create_service_app(settings, clock=clock, handlers=HANDLERS)
    app.router.add_routes(api.routes)
    return app
