"""Changes of an order that several entry points share (API, event handlers, deadline job).

Each takes the order row already locked by the caller's transaction, checks the state machine, writes the
change and emits its event in that transaction; `run_due_deadlines` is the deadline job's use case.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypedDict

import asyncpg

from services.orders import domain, store
from services.orders.domain import Action, Status
from shared.changes import Changes
from shared.clock import Clock
from shared.db import Database, Tx
from shared.events.common import Line
from shared.events.orders import (
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderDelivered,
    OrderPickedUp,
    OrderReadyForPickup,
    OrderRefundApproved,
    OrderRefunded,
    OrderRefundRequested,
    OrderShipped,
)
from shared.money import payable


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


async def confirm(tx: Tx, order: asyncpg.Record, discount_fen: int, points_fen: int, now: datetime,
                  freight_off_fen: int = 0) -> None:
    status = domain.transition(order["status"], Action.CONFIRM)
    amounts = payable(order["subtotal_fen"], discount_fen, points_fen, order["freight_fen"], freight_off_fen)
    payable_fen = amounts.payable_fen
    await set_status(tx, order["id"], now, status, discount_fen=amounts.discount_fen,
                     points_fen=amounts.points_fen, payable_fen=payable_fen)
    await tx.emit(OrderConfirmed(
        **_who(order), subject=order["subject"], subtotal_fen=order["subtotal_fen"],
        discount_fen=amounts.discount_fen, points_fen=amounts.points_fen, payable_fen=payable_fen,
        deposit_fen=order["deposit_fen"], pay_by=order["pay_by"], entry=order["entry"]))


async def cancel(tx: Tx, order: asyncpg.Record, reason: str, now: datetime) -> None:
    """Catalog releases the stock, marketing unlocks the promotion, payments closes the Alipay trade."""
    status = domain.transition(order["status"], Action.CANCEL)
    await set_status(tx, order["id"], now, status, reason=reason, cancelled_at=now)
    await store.drop_deadlines(tx.conn, order["id"], "pay_by", "auto_confirm")
    await tx.emit(OrderCancelled(**_who(order), reason=reason))


async def complete(tx: Tx, order: asyncpg.Record, now: datetime, action: Action = Action.COMPLETE) -> None:
    status = domain.transition(order["status"], action)
    await set_status(tx, order["id"], now, status, completed_at=now)
    await store.drop_deadlines(tx.conn, order["id"], "auto_confirm")
    await tx.emit(OrderCompleted(**_who(order)))


async def ready_for_pickup(tx: Tx, order: asyncpg.Record, store_id: str, now: datetime) -> None:
    status = domain.transition(order["status"], Action.READY)
    await set_status(tx, order["id"], now, status)
    await tx.emit(OrderReadyForPickup(**_who(order), store_id=store_id))


async def picked_up(tx: Tx, order: asyncpg.Record, store_id: str, now: datetime) -> None:
    """Handed over at the counter: order.picked_up (where) and order.completed (what every consumer of a
    completed order already acts on)."""
    await tx.emit(OrderPickedUp(**_who(order), store_id=store_id))
    await complete(tx, order, now, Action.PICK_UP)


async def ship(tx: Tx, order: asyncpg.Record, now: datetime, auto_confirm_after: timedelta,
               carrier: str | None = None, tracking_no: str | None = None) -> None:
    if (order["delivery"] or {}).get("method") == "pickup":
        raise domain.Refusal("pickup_order", "A pickup order is handed over at the store, not shipped")
    status = domain.transition(order["status"], Action.SHIP)
    auto_confirm_at = now + auto_confirm_after
    await set_status(tx, order["id"], now, status, shipped_at=now, auto_confirm_at=auto_confirm_at)
    await store.set_deadline(tx.conn, order["id"], "auto_confirm", auto_confirm_at)
    await tx.emit(OrderShipped(**_who(order), carrier=carrier, tracking_no=tracking_no))


async def deliver(tx: Tx, order: asyncpg.Record, now: datetime, auto_confirm_after: timedelta) -> None:
    """The carrier reports the parcel signed for: DELIVERED, and the auto-confirm countdown starts again from
    now (the buyer gets the whole period with the goods in hand)."""
    status = domain.transition(order["status"], Action.DELIVER)
    auto_confirm_at = now + auto_confirm_after
    await set_status(tx, order["id"], now, status, delivered_at=now, auto_confirm_at=auto_confirm_at)
    await store.set_deadline(tx.conn, order["id"], "auto_confirm", auto_confirm_at)
    await tx.emit(OrderDelivered(**_who(order)))


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
    await set_status(tx, order["id"], now, new_status)
    await store.drop_deadlines(tx.conn, order["id"], "auto_confirm")
    if route == "approve_now":
        await tx.emit(OrderRefundApproved(**_who(order), refund_id=refund_id, amount_fen=order["paid_fen"] or 0,
                                          reason=reason))
    else:
        await tx.emit(OrderRefundRequested(**_who(order), refund_id=refund_id, amount_fen=order["paid_fen"] or 0,
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
    await set_status(tx, order["id"], now, previous)
    if previous in domain.AWAITING_RECEIPT:  # auto-confirm resumes where it stopped (or at once if it was due)
        await store.set_deadline(tx.conn, order["id"], "auto_confirm", max(order["auto_confirm_at"], now))


async def refunded(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record, now: datetime) -> None:
    """Money is back with the buyer: the order is REFUNDED; unshipped goods go back on sale."""
    status = domain.transition(order["status"], Action.REFUND)
    await store.set_refund_status(tx.conn, refund["refund_id"], "refunded", now)
    await set_status(tx, order["id"], now, status)
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
    await set_status(tx, order["id"], now, previous)
    if previous in domain.AWAITING_RECEIPT:
        await store.set_deadline(tx.conn, order["id"], "auto_confirm", max(order["auto_confirm_at"], now))


async def set_status(tx: Tx, order_id: str, now: datetime, status: Status, **changes: Any) -> None:
    """Write the order's new status (and other columns); its waiters (`wait_while_status`) wake at commit."""
    await store.update_order(tx.conn, order_id, now, status=status.value, **changes)
    tx.changed(order_id)


async def wait_while_status(db: Database, changes: Changes, order_id: str, user_id: str, status: Status,
                            seconds: float) -> None:
    """Hold until the buyer's order leaves `status` (PENDING: the saga has decided; AWAITING_PAYMENT: a payment
    payments already applied has reached the order) or `seconds` have passed."""
    async def moved_on() -> bool:
        return await store.status_of_user_order(db.pool, order_id, user_id) != status

    await changes.wait(order_id, moved_on, seconds)


# Deadlines kept in the database: unpaid orders are cancelled at pay-by, shipped orders complete after the
# auto-confirm period. Due rows are claimed with FOR UPDATE SKIP LOCKED, so any number of replicas can run
# the job and each deadline is acted on once; a deadline that no longer applies (the order moved on) is
# simply dropped.


async def run_due_deadlines(db: Database, clock: Clock, limit: int = 100) -> int:
    """One pass: act on up to `limit` due deadlines in one transaction; returns how many were acted on."""
    acted = 0
    async with db.transaction() as tx:
        now = clock.now()
        for due in await store.claim_due_deadlines(tx.conn, now, limit):
            order = await store.lock_order_if_free(tx.conn, due["order_id"])
            if order is None:
                continue  # busy: the deadline stays and is seen again on the next pass
            acted += await _act_on_deadline(tx, order, due["kind"], now)
            await store.drop_deadlines(tx.conn, order["id"], due["kind"])
    return acted


async def _act_on_deadline(tx: Tx, order: asyncpg.Record, kind: str, now: datetime) -> int:
    if kind == "pay_by" and order["status"] in (Status.PENDING, Status.AWAITING_PAYMENT):
        await cancel(tx, order, "payment_timeout", now)
        return 1
    if kind == "auto_confirm" and order["status"] in domain.AWAITING_RECEIPT:
        await complete(tx, order, now)
        return 1
    return 0
