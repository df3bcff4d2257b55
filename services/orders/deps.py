"""What orders' handlers, flows and jobs are given: the shared Deps with orders' settings."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from services.orders.settings import OrdersSettings
from shared.service import DEPS, Deps

OrdersDeps = Deps[OrdersSettings]


def deps_of(app: web.Application) -> OrdersDeps:
    return cast(OrdersDeps, app[DEPS])
