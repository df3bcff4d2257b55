"""Catalog's internal HTTP API (the gateway is the only caller): `buyer` (browse, search, scan, favourites,
nearby stores, recommendations) and `merchant` (the merchant staff's products, SKUs, prices, stock); `routes`
is all of them."""

from __future__ import annotations

from aiohttp import web

from services.catalog.api import buyer, merchant

routes: list[web.AbstractRouteDef] = [*buyer.routes, *merchant.routes]
