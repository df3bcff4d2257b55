"""Steps that bring an order to a given state the way the other services would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared.events.catalog import ReservedLine, StockReserved
from shared.events.payments import PaymentConfirmed


async def awaiting_payment(mall, user: str = "u1") -> dict:
    placed = await mall.place(user=user)
    await mall.publish(StockReserved(order_id=placed["id"], lines=[ReservedLine(sku_id="s1", qty=2)]))
    return await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")


def payment(order: dict, amount_fen: int | None = None, payment_id: str | None = None) -> PaymentConfirmed:
    return PaymentConfirmed(
        payment_id=payment_id or f"pay-{uuid.uuid4().hex[:8]}", order_id=order["id"], user_id=order["user_id"],
        merchant_id=order["merchant_id"], method="alipay",
        amount_fen=order["payable_fen"] if amount_fen is None else amount_fen, trade_no="2025030122001",
        paid_at=datetime(2025, 3, 1, 10, 5, tzinfo=UTC))


async def paid(mall) -> dict:
    order = await awaiting_payment(mall)
    await mall.publish(payment(order))
    return await mall.status_becomes(order["id"], "PAID")


async def shipped(mall) -> dict:
    order = await paid(mall)
    status, order = await mall.call("POST", f"/merchant/orders/{order['id']}/ship", user=None, merchant="m1")
    assert status == 200 and order["status"] == "SHIPPED"
    return order
