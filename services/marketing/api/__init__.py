"""HTTP routes of the marketing service (called by the gateway only); documented in ../API.md. Each module
declares its own with `routes = web.RouteTableDef()`; `routes` here is all of them."""

from __future__ import annotations

from aiohttp import web

from services.marketing.api import coupons, fission, group_buy, members, merchant, pay_gift, quote

routes: list[web.AbstractRouteDef] = [*coupons.routes, *quote.routes, *fission.routes, *members.routes,
                                      *merchant.routes, *group_buy.routes, *pay_gift.routes]
