"""Buy: checkout preview (composed), orders (with a short wait for the saga), payment, recommendations,
and Alipay's notify, passed to payments as it came."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from services.gateway import store
from services.gateway.api.payment_check import CHECK, checked_order
from services.gateway.models import (
    Anything,
    CartOut,
    CouponOut,
    DeliveryChoice,
    GroupBuyOut,
    Items,
    OrderBody,
    OrderOut,
    OrderStatus,
    PayBody,
    PayGiftClaimBody,
    PayGiftOut,
    PayOut,
    PlacedOut,
    PlansOut,
    PreviewBody,
    PreviewOut,
    RefId,
    RefundBody,
    RefundOut,
    ReturnShipmentBody,
)
from services.gateway.routes import Call, Operation, QueryModel, forward
from services.gateway.upstream import Reply, ServiceUnavailable, UpstreamError, path, relay
from shared.http import StrictModel, json_response
from shared.logging import get_logger
from shared.money import payable

log = get_logger("gateway")


class OrdersQuery(QueryModel):
    status: OrderStatus | None = None
    limit: int | None = Field(default=None, ge=1, le=100)


class PlansQuery(QueryModel):
    amount_fen: int = Field(ge=1, le=10_000_000_000)
    merchant_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")  # plans are the merchant's offers


class GroupDealsQuery(QueryModel):
    sku_id: RefId


QUOTE_LINE = ("sku_id", "product_id", "category_id", "qty", "unit_price_fen")


async def preview(call: Call) -> web.StreamResponse:
    body: PreviewBody = call.body
    items = [i.model_dump() for i in body.items]
    priced = await call.up.json(call.request, "orders", "POST", "/checkout/price",
                                json={"items": items, "flash_sale_id": body.flash_sale_id})
    lines = [{k: line[k] for k in QUOTE_LINE if line.get(k) is not None} for line in priced["lines"]]
    try:
        delivery = await delivery_quote(call, priced, body.delivery)
    except (ServiceUnavailable, UpstreamError):
        if body.delivery is not None:
            raise  # a chosen delivery's freight must be known
        delivery = {"freight_fen": 0, "delivery_options": []}  # prices without options beat no preview
    freight = int(delivery["freight_fen"])
    # Asked after fulfilment, so that a free-shipping coupon is quoted against this basket's freight.
    quote = await call.up.json(call.request, "marketing", "POST", "/quote", json={
        "lines": lines, "subtotal_fen": priced["subtotal_fen"], "merchant_id": priced["merchant_id"],
        "coupon_id": body.coupon_id, "points": body.points or 0, "freight_fen": freight,
        "group_buy": body.group_buy.model_dump(exclude_none=True) if body.group_buy else None})
    subtotal = int(priced["subtotal_fen"])
    freight_off = min(int(quote.get("freight_off_fen", 0)), freight)
    # The formula orders confirms the order with, so the preview shows what the buyer will be asked to pay.
    amounts = payable(subtotal, int(quote.get("discount_fen", 0)), int(quote.get("points_fen", 0)), freight,
                      freight_off)
    return json_response({"subtotal_fen": subtotal, "discount_fen": amounts.discount_fen,
                          "points_fen": amounts.points_fen, "payable_fen": amounts.payable_fen,
                          "usable_coupons": quote.get("usable_coupons", []), "freight_fen": freight,
                          "freight_off_fen": freight_off, "delivery_options": delivery["delivery_options"],
                          "member_saving_fen": _saving(priced["lines"], flash=False),
                          "flash_saving_fen": _saving(priced["lines"], flash=True)})


def _saving(lines: list[dict[str, Any]], *, flash: bool) -> int:
    """What member prices (or a flash sale) take off the lines' list prices."""
    return sum((ln["list_price_fen"] - ln["unit_price_fen"]) * ln["qty"] for ln in lines
               if ln.get("list_price_fen") and bool(ln.get("flash_sale_id")) == flash)


async def delivery_quote(call: Call, priced: dict[str, Any], choice: DeliveryChoice | None) -> dict[str, Any]:
    """fulfilment's options for this basket and, for the buyer's choice, its freight and snapshot (free
    delivery is judged on the goods' subtotal)."""
    answer: dict[str, Any] = await call.up.json(call.request, "fulfilment", "POST", "/delivery/quote", json={
        "merchant_id": priced["merchant_id"], "goods_fen": priced["subtotal_fen"],
        "lines": [{"sku_id": ln["sku_id"], "qty": ln["qty"]} for ln in priced["lines"]],
        "delivery": choice.model_dump(exclude_none=True) if choice else None})
    return answer


def _placed(order: dict[str, Any]) -> dict[str, Any]:
    answer = {"id": order["id"], "status": order["status"]}
    if order.get("payable_fen") is not None and order["status"] != "PENDING":
        answer["payable_fen"] = order["payable_fen"]
    if order.get("reason"):
        answer["reason"] = order["reason"]
    if order.get("group_buy"):
        answer["group_buy"] = order["group_buy"]
    return answer


async def place_order(call: Call) -> web.StreamResponse:
    """Orders answers at once with a PENDING order; the saga decides within moments, so wait a little
    (configurable) and give the client the decision in one call when it comes in time. A flash-sale order
    is admitted by catalog before it is placed."""
    body: OrderBody = call.body
    payload = body.model_dump(exclude_none=True)
    payload.setdefault("entry", call.request.headers.get("X-Entry") or "other")
    if body.group_buy is not None:  # the group page shows members by (masked) nickname, never by user id
        user = await store.find_user(call.db, call.user_id)
        payload["group_buy"]["nickname"] = (user["nickname"] or "")[:64] if user is not None else ""
    priced: dict[str, Any] = {}
    admission_id: str | None = None
    if body.delivery is not None or body.flash_sale_id is not None:
        # Priced by orders as the order will be: a flash order that cannot be one is refused here, unadmitted.
        priced = await call.up.json(call.request, "orders", "POST", "/checkout/price",
                                    json={"items": [i.model_dump() for i in body.items],
                                          "flash_sale_id": body.flash_sale_id})
    if body.delivery is not None:  # orders keeps what fulfilment checked: the snapshot and its freight
        payload["delivery"] = (await delivery_quote(call, priced, body.delivery))["delivery"]
    if body.flash_sale_id is not None and not (body.coupon_id or body.points or body.group_buy):
        # A flash-sale (秒杀) buyer is admitted by catalog first, in its batches: one refused there (sold out,
        # over the limit) is told so now and never becomes an order; an admitted one's order names the
        # admission, whose units catalog then holds for it. (orders refuses a flash order with a coupon.)
        line = priced["lines"][0]
        admission = await call.up.json(call.request, "catalog", "POST",
                                       path("/flash-sales/{id}/admissions", id=body.flash_sale_id),
                                       json={"sku_id": line["sku_id"], "qty": line["qty"]})
        admission_id = payload["flash_admission_id"] = admission["admission_id"]
    # orders holds the placement's answer until the saga decides or the wait is over (one round trip)
    wait_ms = call.settings.order_wait_ms
    reply = await call.up.call(call.request, "orders", "POST", "/orders", json=payload,
                               query={"wait_ms": wait_ms} if wait_ms > 0 else None,
                               timeout=wait_ms / 1000 + call.settings.upstream_timeout_seconds)
    if admission_id is not None and refused_placement(reply):
        await release_admission(call, body.flash_sale_id, admission_id)
    return json_response(_placed(reply.json()), status=201)


def refused_placement(reply: Reply) -> bool:
    """orders said no, so no order exists to take an admission: a 4xx, except a key reused with another request
    (the key's first request may be an order that names this very admission). A 5xx or no answer may hide an
    order: its admission is left to the order or, failing that, to catalog's hold job."""
    code = reply.body.get("code") if isinstance(reply.body, dict) else None
    return 400 <= reply.status < 500 and code != "idempotency_key_reused"


async def release_admission(call: Call, sale_id: str | None, admission_id: str) -> None:
    """Give the admission's units back to the sale now, not after MALL_FLASH_ADMISSION_HOLD_SECONDS: others may
    buy them while the refused buyer reads why. Best effort: the buyer gets orders' refusal whatever happens
    here, and catalog's hold job releases an admission this did not."""
    try:
        reply = await call.up.call(call.request, "catalog", "DELETE", path(
            "/flash-sales/{sale}/admissions/{admission}", sale=str(sale_id), admission=admission_id))
    except ServiceUnavailable:
        reply = None
    if reply is None or reply.status != 204:
        log.warning("flash admission not released", admission_id=admission_id,
                    status=reply.status if reply is not None else None)


async def order(call: Call) -> web.StreamResponse:
    """The order from orders; fulfilment adds the pickup code (the buyer's own: both filter by the buyer)."""
    reply = await call.up.call(call.request, "orders", "GET", path("/orders/{id}", id=call.param("id")))
    if reply.status != 200 or not isinstance(reply.body, dict):
        return relay(reply)
    if reply.body.get("status") == "AWAITING_PAYMENT":  # nothing to fulfil yet; the payment may be (checked)
        return await checked_order(call, reply)
    found = dict(reply.body)
    if found.get("delivery"):
        try:
            delivery = await call.up.call(call.request, "fulfilment", "GET",
                                          path("/orders/{id}/delivery", id=call.param("id")))
        except ServiceUnavailable:  # the order without its pickup code until fulfilment is back
            return json_response(found)
        if delivery.status == 200 and isinstance(delivery.body, dict):
            for part in ("pickup", "shipment"):
                if delivery.body.get(part):
                    found[part] = delivery.body[part]
    return json_response(found)


async def pay(call: Call) -> web.StreamResponse:
    body: PayBody = call.body
    target = path("/orders/{id}/pay", id=call.param("id"))
    # Payments learns the payable amount from order.confirmed, which may trail the order's status by a
    # moment: payments itself holds the request until it has the order (up to the same MALL_ORDER_WAIT_MS).
    reply = await call.up.call(call.request, "payments", "POST", target, json=body.model_dump(exclude_none=True),
                               timeout=call.settings.order_wait_ms / 1000 + call.settings.upstream_timeout_seconds)
    return relay(reply)


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
    return await call.up.callback(call.request, "payments", "/alipay/notify", "text/plain")


OPERATIONS = [
    Operation("POST", "/api/checkout/preview", preview, "Price a basket with a coupon and points", "buy",
              body=PreviewBody, answer=PreviewOut),
    Operation("POST", "/api/orders", place_order, "Place an order (waits briefly for the decision)", "buy",
              body=OrderBody, answer=PlacedOut, status=201, idempotent=True),
    Operation("GET", "/api/orders", forward("orders", "orders", "GET", "/orders"), "The user's orders", "buy",
              query=OrdersQuery, answer=Items),
    Operation("GET", "/api/orders/{id}", order, "One order (with its pickup code once a pickup order is paid)", "buy",
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
              "Ask for a refund of some units of some lines (without lines: all still refundable), with the goods "
              "sent back first if with_return", "buy", body=RefundBody, answer=RefundOut, status=201,
              idempotent=True),
    Operation("GET", "/api/orders/{id}/refunds", forward("order_refunds", "orders", "GET", "/orders/{id}/refunds"),
              "The order's refunds, oldest first", "buy", answer=Items),
    Operation("POST", "/api/refunds/{id}/return-shipment",
              forward("return_shipment", "orders", "POST", "/refunds/{id}/return-shipment"),
              "The waybill of the goods sent back for an approved return", "buy", body=ReturnShipmentBody,
              answer=RefundOut, idempotent=True),
    Operation("GET", "/api/orders/{id}/recommendations", recommendations,
              "Recommendations for the payment-success page", "buy", answer=Items),
    Operation("GET", "/api/orders/{id}/pay-gift", forward("pay_gift", "marketing", "GET", "/orders/{id}/pay-gift"),
              "The payment-success page's gift (支付有礼): coupons the paid order may claim, or the one it claimed",
              "buy", answer=PayGiftOut),
    Operation("POST", "/api/orders/{id}/pay-gift/claim",
              forward("claim_pay_gift", "marketing", "POST", "/orders/{id}/pay-gift/claim"),
              "Claim one of the paid order's gift coupons (once per paid order)", "buy", body=PayGiftClaimBody,
              answer=CouponOut, status=201, idempotent=True),
    Operation("POST", "/api/orders/{id}/jifenbao",
              forward("collect_jifenbao", "marketing", "POST", "/orders/{id}/jifenbao"),
              "Collect the 集分宝 a paid order earns into the buyer's Alipay account (once per order)", "buy",
              answer=Anything, status=201, optional_key=True),
    Operation("GET", "/api/group-buy/deals", forward("group_buy_deals", "marketing", "GET", "/group-buy/deals"),
              "The group-buy (拼团) deals running on a SKU: open a group by placing an order with "
              "group_buy.deal_id", "buy", query=GroupDealsQuery, answer=Items),
    Operation("GET", "/api/group-buys/{id}", forward("group_buy", "marketing", "GET", "/group-buys/{id}"),
              "A group-buy group (its id is shared by the opener): members masked, seats left, the countdown; "
              "join it by placing an order with group_buy.group_id", "buy", answer=GroupBuyOut),
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
