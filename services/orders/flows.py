"""Changes of an order that several entry points share (API, event handlers, deadline job).

Each takes the order row already locked by the caller's transaction, checks the state machine, writes the
change and emits its event in that transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TypedDict

import asyncpg

from services.orders import domain, store
from services.orders.domain import Action, Status
from shared.db import Tx
from shared.events.common import Line
from shared.events.orders import (
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderRefundApproved,
    OrderRefunded,
    OrderShipped,
)


class _Who(TypedDict):  # a TypedDict, not dict[str, str]: events with non-str fields take **_who(order)
    order_id: str
    user_id: str
    merchant_id: str


def _who(order: asyncpg.Record) -> _Who:
    return {"order_id": order["id"], "user_id": order["user_id"], "merchant_id": order["merchant_id"]}


async def check_unpaid_limit(tx: Tx, user_id: str, limit: int) -> None:
    """Refuse a placement past the buyer's unpaid-orders limit; the lock serialises the buyer's placements
    until this transaction commits, so two concurrent ones cannot both see room for one more."""
    await store.lock_buyer_placements(tx.conn, user_id)
    domain.check_unpaid_orders(await store.count_unpaid_orders(tx.conn, user_id), limit)


async def confirm(tx: Tx, order: asyncpg.Record, discount_fen: int, points_fen: int, now: datetime) -> None:
    status = domain.transition(order["status"], Action.CONFIRM)
    amounts = domain.payable(order["subtotal_fen"], discount_fen, points_fen)
    await store.update_order(tx.conn, order["id"], now, status=status.value,
                             discount_fen=amounts.discount_fen, points_fen=amounts.points_fen,
                             payable_fen=amounts.payable_fen)
    await tx.emit(OrderConfirmed(
        **_who(order), subject=order["subject"], subtotal_fen=order["subtotal_fen"],
        discount_fen=amounts.discount_fen, points_fen=amounts.points_fen, payable_fen=amounts.payable_fen,
        deposit_fen=order["deposit_fen"], pay_by=order["pay_by"], entry=order["entry"]))


async def cancel(tx: Tx, order: asyncpg.Record, reason: str, now: datetime) -> None:
    """Catalog releases the stock, marketing unlocks the promotion, payments closes the Alipay trade."""
    status = domain.transition(order["status"], Action.CANCEL)
    await store.update_order(tx.conn, order["id"], now, status=status.value, reason=reason,
                             cancelled_at=now)
    await store.drop_deadlines(tx.conn, order["id"], "pay_by", "auto_confirm")
    await tx.emit(OrderCancelled(**_who(order), reason=reason))


async def complete(tx: Tx, order: asyncpg.Record, now: datetime) -> None:
    status = domain.transition(order["status"], Action.COMPLETE)
    await store.update_order(tx.conn, order["id"], now, status=status.value, completed_at=now)
    await store.drop_deadlines(tx.conn, order["id"], "auto_confirm")
    await tx.emit(OrderCompleted(**_who(order)))


async def ship(tx: Tx, order: asyncpg.Record, now: datetime, auto_confirm_after: timedelta) -> None:
    status = domain.transition(order["status"], Action.SHIP)
    auto_confirm_at = now + auto_confirm_after
    await store.update_order(tx.conn, order["id"], now, status=status.value, shipped_at=now,
                             auto_confirm_at=auto_confirm_at)
    await store.set_deadline(tx.conn, order["id"], "auto_confirm", auto_confirm_at)
    await tx.emit(OrderShipped(**_who(order)))


async def refund_unwanted_payment(tx: Tx, order: asyncpg.Record, payment_id: str, amount_fen: int,
                                  reason: str, now: datetime) -> bool:
    """Give back a payment the order cannot keep (it came after cancellation, or for a wrong amount).
    The order itself does not change. Once per payment, however often it is reported."""
    refund_id = str(uuid.uuid4())
    created = await store.insert_unwanted_payment_refund(
        tx.conn, refund_id=refund_id, order_id=order["id"], payment_id=payment_id, amount_fen=amount_fen,
        reason=reason, now=now)
    if created:
        await tx.emit(OrderRefundApproved(**_who(order), refund_id=refund_id, amount_fen=amount_fen,
                                          reason=reason, unwanted=True))
    return created


async def request_return(tx: Tx, order: asyncpg.Record, reason: str, now: datetime,
                         return_window: timedelta) -> None:
    """Before shipping the refund is approved at once; afterwards the merchant decides. While a refund is
    pending, auto-confirm is paused (a shipped order must not complete under the buyer's feet)."""
    route = domain.refund_route(order["status"], order["completed_at"], now, return_window)
    new_status = domain.transition(order["status"], Action.REQUEST_REFUND)
    refund_id = str(uuid.uuid4())
    status = "approved" if route == "approve_now" else "requested"
    await store.insert_return(tx.conn, refund_id=refund_id, order_id=order["id"], payment_id=order["payment_id"],
                              amount_fen=order["paid_fen"] or 0, reason=reason, status=status,
                              previous_status=order["status"], now=now)
    await store.update_order(tx.conn, order["id"], now, status=new_status.value)
    await store.drop_deadlines(tx.conn, order["id"], "auto_confirm")
    if route == "approve_now":
        await tx.emit(OrderRefundApproved(**_who(order), refund_id=refund_id, amount_fen=order["paid_fen"] or 0,
                                          reason=reason))


async def decide_return(tx: Tx, order: asyncpg.Record, approve: bool, now: datetime) -> None:
    """The merchant's answer to a refund asked after shipping."""
    refund = await store.open_return(tx.conn, order["id"])
    if order["status"] != Status.REFUND_REQUESTED or refund is None or refund["status"] != "requested":
        raise domain.Refusal("no_refund_to_decide", "This order has no refund waiting for the merchant")
    if approve:
        await store.set_refund_status(tx.conn, refund["refund_id"], "approved", now)
        await tx.emit(OrderRefundApproved(**_who(order), refund_id=refund["refund_id"],
                                          amount_fen=refund["amount_fen"], reason=refund["reason"]))
        return
    previous = domain.transition(order["status"], Action.REJECT_REFUND, back_to=refund["previous_status"])
    await store.set_refund_status(tx.conn, refund["refund_id"], "rejected", now)
    await store.update_order(tx.conn, order["id"], now, status=previous.value)
    if previous is Status.SHIPPED:  # auto-confirm resumes where it stopped (or at once if it was due)
        await store.set_deadline(tx.conn, order["id"], "auto_confirm", max(order["auto_confirm_at"], now))


async def refunded(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record, now: datetime) -> None:
    """Money is back with the buyer: the order is REFUNDED; unshipped goods go back on sale."""
    status = domain.transition(order["status"], Action.REFUND)
    await store.set_refund_status(tx.conn, refund["refund_id"], "refunded", now)
    await store.update_order(tx.conn, order["id"], now, status=status.value)
    lines = (await store.lines_of(tx.conn, [order["id"]]))[order["id"]]
    await tx.emit(OrderRefunded(
        **_who(order), refund_id=refund["refund_id"], amount_fen=refund["amount_fen"],
        restock=refund["previous_status"] == Status.PAID,
        lines=[Line(sku_id=ln["sku_id"], product_id=ln["product_id"], qty=ln["qty"],
                    unit_price_fen=ln["unit_price_fen"], category_id=ln["category_id"], name=ln["name"])
               for ln in lines]))


async def refund_failed(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record, failure_reason: str,
                        now: datetime) -> None:
    """Payments could not give the money back: the refund shows why, and the order returns to where it was
    (the money never moved), so the merchant sees it and the buyer may ask again. A shipped order's
    auto-confirm resumes, as after a rejection."""
    previous = domain.transition(order["status"], Action.FAIL_REFUND, back_to=refund["previous_status"])
    await store.fail_refund(tx.conn, refund["refund_id"], failure_reason)
    await store.update_order(tx.conn, order["id"], now, status=previous.value)
    if previous is Status.SHIPPED:
        await store.set_deadline(tx.conn, order["id"], "auto_confirm", max(order["auto_confirm_at"], now))
