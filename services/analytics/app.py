"""create_app(settings): the shared service skeleton, a consumer of every event, and the metrics API."""

from __future__ import annotations

from aiohttp import web

from services.analytics.api import add_routes
from services.analytics.handlers import Facts
from services.analytics.settings import AnalyticsSettings
from shared.service import create_service_app


def create_app(settings: AnalyticsSettings) -> web.Application:
    app = create_service_app(settings, handlers=Facts(settings.timezone).handlers())
    add_routes(app)
    return app
