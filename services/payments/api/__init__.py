"""Payments' HTTP layer: `payments` (paying, balance, deposits, the Alipay notify), `huabei` (a merchant's
Huabei offers) and `bills` (pay-later bills), each with its `routes` table; `routes` is all of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.payments.api import alipay_native, bills, huabei, payments
from services.payments.flows.paying import AlipayUnavailable
from shared.http import Problem

routes: list[web.AbstractRouteDef] = [*payments.routes, *huabei.routes, *bills.routes, *alipay_native.routes]


@web.middleware
async def alipay_unavailable(request: web.Request,
                             handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """The flows' AlipayUnavailable (a fault, not a business "no") as the client sees it: 502."""
    try:
        return await handler(request)
    except AlipayUnavailable as exc:
        raise Problem(str(exc), status=502, code="alipay_unavailable", title="Alipay did not answer") from None
