"""Internal HTTP API of pay-later credit: the buyer's bills and credit line, repaying a bill, and a
merchant's exposure on its pay-later orders. Parse, call a flow in bills, answer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.payments.api.payments import _alipay_user
from services.payments.deps import deps_of
from services.payments.domain import credit
from services.payments.flows import bills
from services.payments.store import bills as bill_store
from shared.db import Tx
from shared.http import (
    Unprocessable,
    credit_score,
    current_merchant,
    current_user,
    idempotent,
    json_response,
    path_id,
)

routes = web.RouteTableDef()

MERCHANT_ITEMS = 100


@routes.get("/me/bills")
async def my_bills(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    return json_response(await bills.my_bills(deps, user_id=current_user(request), score=credit_score(request)))


@routes.post("/me/bills/{bill_id}/pay")
async def pay_bill(request: web.Request) -> web.Response:
    deps = deps_of(request.app)
    user_id = current_user(request)
    bill_id = path_id(request, "bill_id")
    buyer = _alipay_user(request)
    if not buyer:
        raise Unprocessable("Paying through Alipay needs the buyer's Alipay user id", code="alipay_user_required")

    async def work(tx: Tx) -> tuple[int, Any]:
        return 200, await bills.pay_bill(deps, tx, bill_id=bill_id, user_id=user_id, alipay_user_id=buyer)

    return await idempotent(request, deps.db, f"bill:{user_id}", {"bill_id": bill_id}, work)


@routes.get("/merchant/pay-later")
async def merchant_pay_later(request: web.Request) -> web.Response:
    """What buyers still owe the mall on this merchant's pay-later orders (the mall's exposure)."""
    deps = deps_of(request.app)
    rows = await bill_store.merchant_exposure(deps.db, current_merchant(request))
    now = deps.clock.now()
    shown = [(r, credit.shown_status(r["status"], r["due_at"], now)) for r in rows]
    totals: dict[str, int] = {"open_fen": 0, "open_count": 0, "overdue_fen": 0, "overdue_count": 0}
    for row, status in shown:
        totals[f"{status}_fen"] += row["due_fen"]
        totals[f"{status}_count"] += 1
    items = [{"bill_id": r["id"], "order_id": r["order_id"], "due_fen": r["due_fen"],
              "due_at": r["due_at"].isoformat(), "status": status} for r, status in shown[:MERCHANT_ITEMS]]
    return json_response({**totals, "outstanding_fen": totals["open_fen"] + totals["overdue_fen"],
                          "items": items})


@routes.post("/me/pay-later/agreement")
async def sign_agreement(request: web.Request) -> web.Response:
    """Start (or show) the buyer's withholding agreement: due bills are then deducted from their Alipay."""
    return json_response(await bills.sign_agreement(deps_of(request.app), user_id=current_user(request)))


@routes.post("/me/pay-later/agreement/check")
async def check_agreement(request: web.Request) -> web.Response:
    return json_response(await bills.check_agreement(deps_of(request.app), user_id=current_user(request)))
