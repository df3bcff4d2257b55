"""Catalog's internal HTTP API (the gateway is the only caller): `buyer` (browse, search, scan, favourites,
nearby stores, recommendations), `merchant` (the merchant staff's products, SKUs, prices, stock), `imports` (bulk
imports from the back office) and `platform` (the operators' category tree); `routes` is all of them."""

from __future__ import annotations

from aiohttp import web

from services.catalog.api import buyer, flash, home, imports, merchant, platform, reviews

routes: list[web.AbstractRouteDef] = [*buyer.routes, *merchant.routes, *platform.routes, *imports.routes,
                                     *reviews.routes, *home.routes, *flash.routes]
