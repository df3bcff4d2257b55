"""Payments' HTTP layer: `payments` (paying, balance, deposits, the Alipay notify), `huabei` (a merchant's
Huabei offers) and `bills` (pay-later bills); `add_routes` registers them all."""

from __future__ import annotations

from aiohttp import web

from services.payments.api import bills, huabei, payments


def add_routes(app: web.Application) -> None:
    payments.add_routes(app)
    huabei.add_routes(app)
    bills.add_routes(app)
