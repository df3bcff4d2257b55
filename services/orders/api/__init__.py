"""Orders' internal HTTP API (the gateway is the only caller): `orders` (placing, reading and changing
orders) and `cart`; `routes` is all of them."""

from __future__ import annotations

from aiohttp import web

from services.orders.api import cart, export, members, orders

routes: list[web.AbstractRouteDef] = [*orders.routes, *cart.routes, *export.routes, *members.routes]
