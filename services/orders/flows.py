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
    OrderReturnReceived,
    OrderShipped,
)
from shared.logging import get_logger
from shared.money import payable

log = get_logger("orders", component="flows")


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
                  freight_off_fen: int = 0, recorded: dict[str, object] | None = None) -> None:
    """`recorded`: the saga's last answer, written in the same UPDATE (the amounts settled here win)."""
    status = domain.transition(order["status"], Action.CONFIRM)
    amounts = payable(order["subtotal_fen"], discount_fen, points_fen, order["freight_fen"], freight_off_fen)
    payable_fen = amounts.payable_fen
    await set_status(tx, order["id"], now, status, **{
        **(recorded or {}), "discount_fen": amounts.discount_fen, "points_fen": amounts.points_fen,
        "payable_fen": payable_fen})
    await tx.emit(OrderConfirmed(
        **_who(order), subject=order["subject"], subtotal_fen=order["subtotal_fen"],
        discount_fen=amounts.discount_fen, points_fen=amounts.points_fen, payable_fen=payable_fen,
        deposit_fen=order["deposit_fen"], pay_by=order["pay_by"], entry=order["entry"]))


async def cancel(tx: Tx, order: asyncpg.Record, reason: str, now: datetime,
                 recorded: dict[str, object] | None = None) -> None:
    """Catalog releases the stock, marketing unlocks the promotion, payments closes the Alipay trade.
    `recorded`: the saga's last answer, written in the same UPDATE."""
    status = domain.transition(order["status"], Action.CANCEL)
    await set_status(tx, order["id"], now, status, **(recorded or {}), reason=reason, cancelled_at=now)
    await store.drop_deadlines(tx.conn, order["id"], "pay_by", "auto_confirm", "deposit_auth")
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
    domain.check_not_held(order["group_state"])
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
                                          reason=reason, unwanted=True, closes_order=False))
    return created


# --- refunds ----------------------------------------------------------------------------------------
# A refund takes some units of some lines (all that is left when none are named). Its money and points are
# priced once, when it is asked (domain.refund_amounts), and held until it ends: a rejected, closed or failed
# refund frees them. The refund that takes the order's last units makes the order REFUND_REQUESTED; when no
# refund is open any more the order is REFUNDED (every unit refunded) or back where it was.


async def request_refund(tx: Tx, order: asyncpg.Record, *, reason: str, lines: list[tuple[str, int]] | None,
                         with_return: bool, by_merchant: bool, now: datetime, return_window: timedelta,
                         waits: domain.RefundWaits) -> str:
    """A buyer asks for a refund (or the merchant makes one on their own); the new refund's id."""
    domain.check_not_held(order["group_state"])
    start = domain.refund_start(order["status"], order["completed_at"], now, return_window,
                                by_merchant=by_merchant, with_return=with_return)
    order_lines = (await store.lines_of(tx.conn, [order["id"]]))[order["id"]]
    amounts = domain.refund_amounts(
        domain.line_shares([(ln["line_no"], ln["qty"], ln["unit_price_fen"] * ln["qty"]) for ln in order_lines],
                           order["discount_fen"], order["points_fen"]),
        await store.held_by_line(tx.conn, order["id"]), _asked_units(order_lines, lines),
        order["freight_fen"] - await store.held_freight(tx.conn, order["id"]), start.shipped)
    refund_id = str(uuid.uuid4())
    await store.insert_return(tx.conn, refund_id=refund_id, order_id=order["id"], payment_id=order["payment_id"],
                              amounts=amounts, reason=reason, status=start.status, previous_status=order["status"],
                              shipped=start.shipped, with_return=with_return,
                              requested_by="merchant" if by_merchant else "buyer", now=now)
    if amounts.closes_order:  # the rest of the order is being refunded: it must not complete meanwhile
        await set_status(tx, order["id"], now, domain.transition(order["status"], Action.REQUEST_REFUND))
        await store.drop_deadlines(tx.conn, order["id"], "auto_confirm")
    if start.status == "requested":  # the merchant decides: their console and webhook hear of it at once
        await tx.emit(OrderRefundRequested(**_who(order), refund_id=refund_id, amount_fen=amounts.cash_fen,
                                           reason=reason))
    await _entered(tx, order, refund_id, start.status, now, waits)
    return refund_id


def _asked_units(order_lines: list[asyncpg.Record], lines: list[tuple[str, int]] | None) -> dict[int, int] | None:
    """The client's {line_id: qty} as {line_no: qty}; a line of another order is no line of this one."""
    if lines is None:
        return None
    line_nos = {ln["id"]: ln["line_no"] for ln in order_lines}
    asked: dict[int, int] = {}
    for line_id, qty in lines:
        if line_id not in line_nos:
            raise domain.Refusal("line_not_in_order", f"This order has no line {line_id}", 422, line_id=line_id)
        if line_nos[line_id] in asked:
            raise domain.Refusal("duplicate_line", f"Line {line_id} is named twice", 422, line_id=line_id)
        asked[line_nos[line_id]] = qty
    return asked


async def move_refund(tx: Tx, order: asyncpg.Record, refund: asyncpg.Record, action: domain.RefundAction,
                      now: datetime, waits: domain.RefundWaits, **changes: Any) -> None:
    """Move a refund on by the merchant's, the buyer's, a deadline's or payments' doing (`changes`: columns
    that go with it: the waybill, the reasons)."""
    status = domain.refund_move(refund["status"], action, with_return=refund["with_return"])
    await store.set_refund_status(tx.conn, refund["refund_id"], status, now)
    if refund["status"] in ("awaiting_return", "returning") and status == "approved":
        # The goods are back (a parcel, handed back at the counter, or the merchant's silence says so): its
        # units go back on sale now, not when (or whether) the money moves.
        changes.update(return_received_at=now, restocked_on_receipt=True)
        await tx.emit(OrderReturnReceived(**_who(order), refund_id=refund["refund_id"],
                                          lines=await _lines_of_refund(tx, refund["refund_id"])))
    if changes:
        await store.update_refund(tx.conn, refund["refund_id"], **changes)
    await _entered(tx, order, refund["refund_id"], status, now, waits)


async def _entered(tx: Tx, order: asyncpg.Record, refund_id: str, status: str, now: datetime,
                   waits: domain.RefundWaits) -> None:
    """What a refund's new status sets off: a deadline for a waiting state, the money for an approved one,
    and the order's own status once the refund has ended."""
    due = waits.due(status, now)
    await store.update_refund(tx.conn, refund_id, due_at=due)
    if due is not None:
        await store.set_deadline(tx.conn, order["id"], "refund", due, ref=refund_id)
    else:
        await store.drop_deadline(tx.conn, order["id"], "refund", ref=refund_id)
    if status == "approved":
        await _give_back(tx, order, refund_id, now)
    elif status not in domain.OPEN_REFUND:
        await _settle_order(tx, order["id"], now)


async def _give_back(tx: Tx, order: asyncpg.Record, refund_id: str, now: datetime) -> None:
    """Payments gives the money back through the payment's leg; a refund of points only (the money of those
    units was all coupon and points, or was refunded before) has no money to move and is done at once. One
    that closes the order is still announced, money or not: payments releases a held deposit, fulfilment
    closes the pickup code."""
    refund = await store.lock_refund(tx.conn, refund_id)
    assert refund is not None
    if refund["amount_fen"] > 0 or refund["closes_order"]:
        await tx.emit(OrderRefundApproved(**_who(order), refund_id=refund_id, amount_fen=refund["amount_fen"],
                                          reason=refund["reason"], points_fen=refund["points_fen"],
                                          closes_order=refund["closes_order"]))
    if refund["amount_fen"] == 0:
        await refunded(tx, refund, now)


async def refunded(tx: Tx, refund: asyncpg.Record, now: datetime) -> None:
    """The money is back with the buyer: marketing gives the points back (and the coupon, once the whole
    order is refunded), catalog restocks units that never left the shop (returned ones were restocked when
    the parcel was received)."""
    order = await store.lock_order(tx.conn, refund["order_id"])
    assert order is not None
    domain.refund_move(refund["status"], "refunded", with_return=refund["with_return"])
    await store.set_refund_status(tx.conn, refund["refund_id"], "refunded", now)
    await tx.emit(OrderRefunded(
        **_who(order), refund_id=refund["refund_id"], amount_fen=refund["amount_fen"],
        points_fen=refund["points_fen"],
        # (a return received before order.return_received existed is restocked here, as it was then)
        restock=not refund["shipped"] or (refund["return_received_at"] is not None
                                          and not refund["restocked_on_receipt"]),
        all_refunded=await store.all_units_refunded(tx.conn, order["id"]),
        lines=await _lines_of_refund(tx, refund["refund_id"])))
    await _settle_order(tx, order["id"], now)


async def _lines_of_refund(tx: Tx, refund_id: str) -> list[Line]:
    """The refunded goods (a counter amount's line names no SKU: no units to put back)."""
    lines = (await store.refund_lines_of(tx.conn, [refund_id]))[refund_id]
    return [Line(sku_id=ln["sku_id"], product_id=ln["product_id"], qty=ln["qty"], unit_price_fen=ln["unit_price_fen"],
                 category_id=ln["category_id"], name=ln["name"]) for ln in lines if ln["sku_id"] is not None]


async def _settle_order(tx: Tx, order_id: str, now: datetime) -> None:
    """Once the refund of the rest of an order and every other open refund have ended: REFUNDED if every
    unit is, else back where the order was (the buyer may ask again); a shipped order's auto-confirm resumes
    where it stopped (or at once if it was due)."""
    order = await store.lock_order(tx.conn, order_id)
    assert order is not None
    if order["status"] != Status.REFUND_REQUESTED or await store.count_open_refunds(tx.conn, order_id):
        return
    if await store.all_units_refunded(tx.conn, order_id):
        await set_status(tx, order_id, now, domain.transition(order["status"], Action.REFUND))
        return
    closing = await store.closing_refund(tx.conn, order_id)
    assert closing is not None
    previous = domain.transition(order["status"], Action.END_REFUND, back_to=closing["previous_status"])
    await set_status(tx, order_id, now, previous)
    if previous in domain.AWAITING_RECEIPT:
        await store.set_deadline(tx.conn, order_id, "auto_confirm", max(order["auto_confirm_at"], now))


# --- group buying (拼团): marketing's word on the order's group ----------------------------------------


async def group_succeeded(tx: Tx, order: asyncpg.Record, now: datetime) -> None:
    """The group filled: the order is no longer held and goes on to fulfilment like any paid order."""
    if order["group_state"] == "waiting":
        await store.update_order(tx.conn, order["id"], now, group_state="succeeded")
        tx.changed(order["id"])


async def group_failed(tx: Tx, order: asyncpg.Record, now: datetime, return_window: timedelta,
                       waits: domain.RefundWaits) -> None:
    """The group ran out of time: an unpaid order is cancelled (its stock and seat released), a paid one is
    refunded in full through the ordinary refund (approved at once: nothing was shipped), so payments gives
    the money back and catalog restocks from order.refunded."""
    if order["group_state"] != "waiting":
        return  # reported again
    await store.update_order(tx.conn, order["id"], now, group_state="failed")
    if order["status"] in (Status.PENDING, Status.AWAITING_PAYMENT):
        await cancel(tx, order, "group_buy_failed", now)
    elif order["status"] in (Status.PAID, Status.READY_FOR_PICKUP):
        fresh = await store.lock_order(tx.conn, order["id"])
        assert fresh is not None
        await request_refund(tx, fresh, reason="group_buy_failed", lines=None, with_return=False, by_merchant=True,
                             now=now, return_window=return_window, waits=waits)
    tx.changed(order["id"])


async def set_status(tx: Tx, order_id: str, now: datetime, status: Status, **changes: Any) -> None:
    """Write the order's new status (and other columns); its waiters (`wait_while_status`) wake at commit."""
    await store.update_order(tx.conn, order_id, now, status=status.value, **changes)
    tx.changed(order_id)


async def wait_while_status(db: Database, changes: Changes, order_id: str, user_id: str, status: Status,
                            seconds: float) -> asyncpg.Record | None:
    """Hold until the buyer's order leaves `status` (PENDING: the saga has decided; AWAITING_PAYMENT: a payment
    payments already applied has reached the order) or `seconds` have passed; the order as last read (None: no
    such order of this buyer), so the caller need not read it once more."""
    last: asyncpg.Record | None = None

    async def moved_on() -> bool:
        nonlocal last
        last = await store.order_of_user(db.pool, order_id, user_id)
        return last is None or last["status"] != status

    await changes.wait(order_id, moved_on, seconds)
    return last


# Deadlines kept in the database: unpaid orders are cancelled at pay-by, shipped orders complete after the
# auto-confirm period. Due rows are claimed with FOR UPDATE SKIP LOCKED, so any number of replicas can run
# the job and each deadline is acted on once; a deadline that no longer applies (the order moved on) is
# simply dropped.


async def run_due_deadlines(db: Database, clock: Clock, limit: int = 100,
                            waits: domain.RefundWaits = domain.RefundWaits()) -> int:
    """One pass: act on up to `limit` due deadlines in one transaction; returns how many were acted on."""
    acted = 0
    async with db.transaction() as tx:
        now = clock.now()
        for due in await store.claim_due_deadlines(tx.conn, now, limit):
            order = await store.lock_order_if_free(tx.conn, due["order_id"])
            if order is None:
                continue  # busy: the deadline stays and is seen again on the next pass
            # dropped first: acting may set the next deadline of the same refund
            await store.drop_deadline(tx.conn, order["id"], due["kind"], due["ref"])
            acted += await _act_on_deadline(tx, order, due["kind"], due["ref"], now, waits)
    return acted


async def _act_on_deadline(tx: Tx, order: asyncpg.Record, kind: str, ref: str, now: datetime,
                           waits: domain.RefundWaits) -> int:
    if kind == "pay_by" and order["status"] in (Status.PENDING, Status.AWAITING_PAYMENT):
        await cancel(tx, order, "payment_timeout", now)
        return 1
    if kind == "auto_confirm" and order["status"] in domain.AWAITING_RECEIPT:
        await complete(tx, order, now)
        return 1
    if kind == "deposit_auth" and order["deposit_frozen_at"] is None:
        return await _close_unauthorised_rental(tx, order, now, waits)
    if kind == "refund":  # a refund waited too long for the merchant or the buyer
        refund = await store.lock_refund(tx.conn, ref)
        if refund is not None and domain.refund_waits_for(refund["status"]):
            # A merchant silent about a returned parcel has received it (move_refund restocks its units).
            await move_refund(tx, order, refund, "timeout", now, waits,
                              timeout_reason=domain.TIMEOUT_REASONS[refund["status"]])
            return 1
    return 0


async def _close_unauthorised_rental(tx: Tx, order: asyncpg.Record, now: datetime,
                                     waits: domain.RefundWaits) -> int:
    """The buyer never confirmed the rental deposit's freeze in time: an unpaid rental is cancelled (payments
    takes the rent only once the deposit is frozen, so this is the rule); one paid before that rule whose goods
    have not been handed over is refunded in full as the merchant's own refund (the stock goes back with
    order.cancelled / order.refunded; payments closes the deposit's request). A rental the merchant handed over
    anyway is left to the merchant."""
    reason = "deposit_not_authorised"
    if order["status"] in (Status.PENDING, Status.AWAITING_PAYMENT):
        await cancel(tx, order, reason, now)
        return 1
    if order["status"] in (Status.PAID, Status.READY_FOR_PICKUP) and order["group_state"] != "waiting":
        try:
            await request_refund(tx, order, reason=reason, lines=None, with_return=False, by_merchant=True,
                                 now=now, return_window=timedelta(0), waits=waits)  # (the window: completed orders)
        except domain.Refusal as refusal:  # e.g. its units already being refunded: never fail the job's batch
            log.warning("unauthorised rental not refunded", order_id=order["id"], code=refusal.code)
            return 0
        return 1
    return 0


# --- member prices ----------------------------------------------------------------------------------


def _rule(row: asyncpg.Record) -> domain.MemberRule:
    return domain.MemberRule(id=row["id"], level=row["level"], sku_id=row["sku_id"], category_id=row["category_id"],
                             percent_off=row["percent_off"], price_fen=row["price_fen"])


async def member_priced(conn: store.Conn, user_id: str, priced: domain.Priced) -> domain.Priced:
    """The lines at the member prices the buyer's level at this merchant gives."""
    level, rows = await store.buyer_member_rules(conn, user_id, priced.merchant_id)
    return domain.with_member_prices(priced, level, [_rule(r) for r in rows]) if rows else priced


async def set_member_price(tx: Tx, merchant_id: str, *, sku_id: str | None, category_id: str | None, level: int,
                           percent_off: int | None, price_fen: int | None, now: datetime) -> asyncpg.Record:
    if (sku_id is None) == (category_id is None):
        raise domain.Refusal("member_price_target", "Name either a sku_id or a category_id", 422)
    if (percent_off is None) == (price_fen is None):
        raise domain.Refusal("member_price_kind", "Give either percent_off or price_fen", 422)
    if sku_id is not None and await store.sku_merchant(tx.conn, sku_id) != merchant_id:
        raise domain.Refusal("sku_not_found", "No such SKU of this merchant", 404, field="sku_id")
    return await store.upsert_member_rule(tx.conn, f"mp_{uuid.uuid4().hex[:16]}", merchant_id, sku_id, category_id,
                                          level, percent_off, price_fen, now)
