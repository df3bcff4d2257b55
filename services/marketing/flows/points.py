"""Points earned on orders: pending until the order can no longer be refunded, then spendable.

A buyer could otherwise earn points on order A, spend them on order B, then get A refunded and keep the
discount (the clawback found nothing left to take). So points earned on `order.paid` wait on their
order; `order.completed` fixes the release at completion + `MALL_POINTS_RELEASE_DAYS` (the no-reason return
window); a job releases them then. A refund before release cancels them; a refund after release claws them
back from the balance and what is not there becomes debt, paid first out of the next points the buyer gets.
"""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from services.marketing.domain import points as rules
from services.marketing.store import points as points_db
from shared.db import Tx
from shared.events.marketing import PointsReleased


def account_of(row: Record | None) -> rules.Account:
    return rules.Account() if row is None else rules.Account(row["balance"], row["locked"], row["debt"])


def order_of(row: Record) -> rules.OrderPoints:
    return rules.OrderPoints(earned=row["points_earned"], clawed=row["points_clawed"], state=row["points_state"])


async def refund_order(tx: Tx, paid: Record, *, refund_id: str, total_refunded_fen: int, full: bool,
                       now: datetime) -> None:
    """Take back the refunded share of the order's points (the caller holds the paid order row locked)."""
    user_id = paid["user_id"]
    acct = account_of(await points_db.account(tx.conn, user_id, for_update=True))
    _, order, back = rules.refund(acct, order_of(paid), paid_fen=paid["paid_fen"],
                                  total_refunded_fen=total_refunded_fen, full=full)
    if not await points_db.record(tx.conn, user_id=user_id, kind="clawback", delta=-back.taken,
                                  shortfall=back.shortfall, pending=-back.cancelled, ref=refund_id,
                                  order_id=paid["order_id"], now=now):
        return  # this refund was already accounted for
    if back.taken or back.shortfall:
        await points_db.change(tx.conn, user_id, balance=-back.taken, debt=back.shortfall)
    await points_db.record_refund(tx.conn, paid["order_id"], total_refunded_fen, back.asked, order.state)


async def release_order(tx: Tx, paid: Record, now: datetime) -> None:
    """Make a pending order's points spendable (the caller holds the paid order row locked)."""
    user_id, order_id = paid["user_id"], paid["order_id"]
    acct = account_of(await points_db.account(tx.conn, user_id, for_update=True))
    _, _, done = rules.release(acct, order_of(paid))
    if not await points_db.mark_released(tx.conn, order_id, now) or done.points == 0:
        return
    await points_db.change(tx.conn, user_id, balance=done.points - done.repaid, debt=-done.repaid)
    await points_db.record(tx.conn, user_id=user_id, kind="release", delta=done.points, pending=-done.points,
                           ref=order_id, order_id=order_id, now=now)
    if done.repaid:
        await points_db.record(tx.conn, user_id=user_id, kind="repay", delta=-done.repaid, ref=order_id,
                               order_id=order_id, now=now)
    await tx.emit(PointsReleased(user_id=user_id, order_id=order_id, merchant_id=paid["merchant_id"],
                                 points=done.points, repaid=done.repaid))


async def repay_debt(tx: Tx, user_id: str, ref: str, now: datetime) -> None:
    """Points back in the spendable balance (an unpaid order cancelled) pay the debt first."""
    acct = account_of(await points_db.account(tx.conn, user_id, for_update=True))
    repaid = rules.repay_from_balance(acct)
    if repaid and await points_db.record(tx.conn, user_id=user_id, kind="repay", delta=-repaid, ref=ref,
                                         order_id=ref, now=now):
        await points_db.change(tx.conn, user_id, balance=-repaid, debt=-repaid)


async def give_back_spent(tx: Tx, user_id: str, order_id: str, refund_id: str, points: int, now: datetime) -> None:
    """Points an order spent come back with its refund (once per refund), paying a debt first."""
    if points <= 0:
        return
    if await points_db.record(tx.conn, user_id=user_id, kind="refund", delta=points, ref=refund_id,
                              order_id=order_id, now=now):
        await points_db.account(tx.conn, user_id, for_update=True)
        await points_db.change(tx.conn, user_id, balance=points, debt=0)
        await repay_debt(tx, user_id, refund_id, now)
