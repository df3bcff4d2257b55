"""The orders service's app: shared skeleton, event handlers, deadline job, routes."""

from __future__ import annotations

from aiohttp import web

from services.orders import api, cart
from services.orders.deadlines import CLOCK, deadline_job
from services.orders.handlers import make_handlers
from services.orders.settings import OrdersSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: OrdersSettings, clock: Clock | None = None) -> web.Application:
    """`clock` is injectable so tests can move time for deadlines (ManualClock)."""
    clock = clock or Clock()
    app = create_service_app(settings, handlers=make_handlers(clock), jobs=[deadline_job])
    app[CLOCK] = clock
    app.router.add_routes(api.routes)
    app.router.add_routes(cart.routes)
    return app
