"""The orders service's app: shared skeleton, event handlers, deadline job, routes."""

from __future__ import annotations

from aiohttp import web

from services.orders import api, cart, export_api
from services.orders.handlers import HANDLERS
from services.orders.jobs import JOBS
from services.orders.settings import OrdersSettings
from shared.clock import Clock
from shared.service import create_service_app


def create_app(settings: OrdersSettings, *, clock: Clock | None = None) -> web.Application:
    """`clock` is injectable so tests can move time for deadlines (ManualClock)."""
    app = create_service_app(settings, clock=clock, handlers=HANDLERS, jobs=JOBS)
    app.router.add_routes(api.routes)
    app.router.add_routes(cart.routes)
    app.router.add_routes(export_api.routes)
    return app
