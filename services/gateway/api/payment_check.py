"""The buyer is back from the cashier: the payment's truth without waiting for Alipay's notify.

`POST /api/orders/{id}/payment-check` has payments query the order's open trade and apply the answer as a
notify would; `GET /api/orders/{id}` of an order awaiting payment runs the same (rate-limited) check.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.gateway.models import CheckOut
from services.gateway.routes import Call, Operation
from services.gateway.upstream import Reply, path, relay
from shared.http import Problem, json_response


async def _order_after_check(call: Call, order_id: str, checked: dict[str, Any], *,
                             fields: str = "all") -> dict[str, Any]:
    """Orders learns a payment from payment.confirmed a moment after payments applied it: when payments
    says PAID, orders holds the answer until the order leaves AWAITING_PAYMENT (or the wait is over), so the
    buyer sees the order PAID in this very answer. `fields="status"`: only the order's id and status."""
    target = path("/orders/{id}", id=order_id)
    only = {"fields": fields} if fields != "all" else {}
    if checked.get("status") != "PAID":
        return await call.up.json(call.request, "orders", "GET", target, query=only)
    wait_ms = call.settings.order_wait_ms
    return await call.up.json(
        call.request, "orders", "GET", target, query={"wait_ms": wait_ms, "wait_while": "AWAITING_PAYMENT", **only},
        timeout=wait_ms / 1000 + call.settings.upstream_timeout_seconds)


async def payment_check(call: Call) -> web.StreamResponse:
    """The buyer is back from `my.tradePay`: payments asks Alipay about the trade and applies the answer
    (the notify may never come); the answer is the order's status and its payment."""
    order_id = call.param("id")
    checked = await call.up.json(call.request, "payments", "POST",
                                 path("/orders/{id}/payment-check", id=order_id), json={})
    order = await _order_after_check(call, order_id, checked, fields="status")  # the status is all it answers
    return json_response({"status": order["status"], "payment": checked.get("payment")})


async def get_order(call: Call) -> web.StreamResponse:
    """One order. While it awaits payment, the same (rate-limited) check runs first, so a client polling
    its order sees a payment whose notify was lost."""
    reply = await call.up.call(call.request, "orders", "GET", path("/orders/{id}", id=call.param("id")))
    if reply.status != 200 or not isinstance(reply.body, dict) or reply.body.get("status") != "AWAITING_PAYMENT":
        return relay(reply)
    return await checked_order(call, reply)


async def checked_order(call: Call, reply: Reply) -> web.StreamResponse:
    """Orders' answer `reply` about an order awaiting payment, after the payment check: the order once
    orders has the payment when the check found it paid, else the order as orders had it."""
    try:
        checked = await call.up.call(call.request, "payments", "POST",
                                     path("/orders/{id}/payment-check", id=call.param("id")), json={})
    except Problem:  # payments down or slow: the check is a courtesy, the order is as orders has it
        return relay(reply)
    if checked.status != 200 or not isinstance(checked.body, dict):
        return relay(reply)
    return json_response(await _order_after_check(call, call.param("id"), checked.body))


CHECK = Operation("POST", "/api/orders/{id}/payment-check", payment_check,
                  "After my.tradePay returns: ask Alipay about the order's trade and apply the answer", "buy",
                  answer=CheckOut)
