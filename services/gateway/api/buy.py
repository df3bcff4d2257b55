"""Buy: checkout preview (composed), orders (with a short wait for the saga), payment, recommendations,
and Alipay's notify, passed to payments as it came."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import Field

from services.gateway.api.payment_check import CHECK, get_order
from services.gateway.models import (
    CartOut,
    Items,
    OrderBody,
    OrderOut,
    OrderStatus,
    PayBody,
    PayOut,
    PlacedOut,
    PlansOut,
    PreviewBody,
    PreviewOut,
    RefundBody,
)
from services.gateway.routes import Call, Operation, QueryModel, forward
from services.gateway.upstream import path, relay
from shared.http import StrictModel, json_response


class OrdersQuery(QueryModel):
    status: OrderStatus | None = None
    limit: int | None = Field(default=None, ge=1, le=100)


class PlansQuery(QueryModel):
    amount_fen: int = Field(ge=1, le=10_000_000_000)
    merchant_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")  # plans are the merchant's offers


QUOTE_LINE = ("sku_id", "product_id", "category_id", "qty", "unit_price_fen")


async def preview(call: Call) -> web.StreamResponse:
    body: PreviewBody = call.body
    items = [i.model_dump() for i in body.items]
    priced = await call.up.json(call.request, "orders", "POST", "/checkout/price", json={"items": items})
    lines = [{k: line[k] for k in QUOTE_LINE if line.get(k) is not None} for line in priced["lines"]]
    quote = await call.up.json(call.request, "marketing", "POST", "/quote", json={
        "lines": lines, "subtotal_fen": priced["subtotal_fen"], "merchant_id": priced["merchant_id"],
        "coupon_id": body.coupon_id, "points": body.points or 0})
    subtotal = int(priced["subtotal_fen"])
    discount = int(quote.get("discount_fen", 0))
    points_fen = int(quote.get("points_fen", 0))
    return json_response({"subtotal_fen": subtotal, "discount_fen": discount, "points_fen": points_fen,
                          "payable_fen": max(0, subtotal - discount - points_fen),
                          "usable_coupons": quote.get("usable_coupons", [])})


def _placed(order: dict[str, Any]) -> dict[str, Any]:
    answer = {"id": order["id"], "status": order["status"]}
    if order.get("payable_fen") is not None and order["status"] != "PENDING":
        answer["payable_fen"] = order["payable_fen"]
    if order.get("reason"):
        answer["reason"] = order["reason"]
    return answer


async def place_order(call: Call) -> web.StreamResponse:
    """Orders answers at once with a PENDING order; the saga decides within moments, so wait a little
    (configurable) and give the client the decision in one call when it comes in time."""
    body: OrderBody = call.body
    payload = body.model_dump(exclude_none=True)
    payload.setdefault("entry", call.request.headers.get("X-Entry") or "other")
    reply = await call.up.call(call.request, "orders", "POST", "/orders", json=payload)
    order = reply.json()
    if order.get("status") == "PENDING" and call.settings.order_wait_ms > 0:
        # orders holds the request open until the saga decides or the wait is over (one round trip).
        order = await call.up.json(call.request, "orders", "GET", path("/orders/{id}", id=order["id"]),
                                   query={"wait_ms": call.settings.order_wait_ms},
                                   timeout=call.settings.order_wait_ms / 1000 + call.settings.upstream_timeout_seconds)
    return json_response(_placed(order), status=201)


async def pay(call: Call) -> web.StreamResponse:
    body: PayBody = call.body
    target = path("/orders/{id}/pay", id=call.param("id"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + call.settings.order_wait_ms / 1000
    while True:
        reply = await call.up.call(call.request, "payments", "POST", target,
                                   json=body.model_dump(exclude_none=True))
        # Payments learns the payable amount from order.confirmed, which may trail the order's status by a
        # moment: a client that pays right after placing would otherwise see a spurious refusal.
        not_ready = reply.status == 409 and isinstance(reply.body, dict) and reply.body.get("code") == "order_not_ready"
        if not not_ready or loop.time() >= deadline:
            return relay(reply)
        await asyncio.sleep(0.1)


async def recommendations(call: Call) -> web.StreamResponse:
    order = await call.up.json(call.request, "orders", "GET", path("/orders/{id}", id=call.param("id")))
    sku_ids = [line["sku_id"] for line in order.get("lines", []) if isinstance(line, dict) and "sku_id" in line]
    if not sku_ids:
        return json_response({"items": []})
    answer = await call.up.json(call.request, "catalog", "GET", "/recommendations",
                                query={"sku_ids": ",".join(sku_ids)})
    return json_response({"items": answer.get("items", []) if isinstance(answer, dict) else []})


async def alipay_notify(call: Call) -> web.StreamResponse:
    """Alipay's async notify: the raw form to payments (which verifies the RSA2 signature), its text back."""
    raw = await call.request.read()
    reply = await call.up.call(call.request, "payments", "POST", "/alipay/notify", data=raw,
                               headers={"Content-Type": call.request.headers.get(
                                   "Content-Type", "application/x-www-form-urlencoded")})
    if reply.status >= 500:
        raise reply.problem()
    return web.Response(text=reply.text, status=reply.status, content_type="text/plain")


OPERATIONS = [
    Operation("POST", "/api/checkout/preview", preview, "Price a basket with a coupon and points", "buy",
              body=PreviewBody, answer=PreviewOut),
    Operation("POST", "/api/orders", place_order, "Place an order (waits briefly for the decision)", "buy",
              body=OrderBody, answer=PlacedOut, status=201, idempotent=True),
    Operation("GET", "/api/orders", forward("orders", "orders", "GET", "/orders"), "The user's orders", "buy",
              query=OrdersQuery, answer=Items),
    Operation("GET", "/api/orders/{id}", get_order, "One order (checks a payment it awaits)", "buy",
              answer=OrderOut),
    Operation("POST", "/api/orders/{id}/pay", pay, "Pay an order", "buy", body=PayBody, answer=PayOut,
              idempotent=True),
    CHECK,
    Operation("GET", "/api/installment-plans",
              forward("installment_plans", "payments", "GET", "/installment-plans"),
              "Huabei instalment plans a merchant offers for an amount", "buy", query=PlansQuery, answer=PlansOut),
    Operation("POST", "/api/orders/{id}/cancel", forward("cancel_order", "orders", "POST", "/orders/{id}/cancel"),
              "Cancel an unpaid order", "buy", answer=OrderOut, idempotent=True),
    Operation("POST", "/api/orders/{id}/confirm-receipt",
              forward("confirm_receipt", "orders", "POST", "/orders/{id}/confirm-receipt"),
              "Confirm receipt of a shipped order", "buy", answer=OrderOut, idempotent=True),
    Operation("POST", "/api/orders/{id}/refund", forward("request_refund", "orders", "POST", "/orders/{id}/refund"),
              "Ask for a refund", "buy", body=RefundBody, answer=OrderOut, idempotent=True),
    Operation("GET", "/api/orders/{id}/recommendations", recommendations,
              "Recommendations for the payment-success page", "buy", answer=Items),
    Operation("POST", "/api/alipay/notify", alipay_notify, "Alipay's asynchronous notify (signed form)",
              "alipay", auth="none", raw_body="application/x-www-form-urlencoded", answer_text=True),
]


class CartQty(StrictModel):
    qty: int = Field(ge=1, le=99)


OPERATIONS += [
    Operation("GET", "/api/cart", forward("cart", "orders", "GET", "/cart"), "The cart", "buy", answer=CartOut),
    Operation("PUT", "/api/cart/items/{sku_id}", forward("set_cart_item", "orders", "PUT", "/cart/items/{sku_id}"),
              "Put a SKU in the cart with this quantity", "buy", body=CartQty, answer=CartOut),
    Operation("DELETE", "/api/cart/items/{sku_id}",
              forward("remove_cart_item", "orders", "DELETE", "/cart/items/{sku_id}"),
              "Take a SKU out of the cart", "buy", answer=CartOut),
]
