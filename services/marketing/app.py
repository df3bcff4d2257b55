"""The marketing service's app factory."""

from __future__ import annotations

from aiohttp import web

from services.marketing.api import add_routes
from services.marketing.api.common import CLOCK
from services.marketing.handlers import make_handlers
from services.marketing.levels import level_job
from services.marketing.points import release_job
from services.marketing.settings import MarketingSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: MarketingSettings, clock: Clock | None = None) -> web.Application:
    clock = clock or Clock()
    app = create_service_app(settings, handlers=make_handlers(settings, clock),
                             jobs=[level_job(settings, clock), release_job])
    app[CLOCK] = clock
    add_routes(app)
    return app
