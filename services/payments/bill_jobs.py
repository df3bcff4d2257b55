"""The bills job: a reminder (`bill.due_soon`) before a pay-later bill falls due and `bill.overdue` after.

Safe with several replicas: each round claims its bills with FOR UPDATE SKIP LOCKED and marks them in the
same statement, and the events go through the outbox in that transaction, so each is emitted once.
Time comes from the context's clock (tests move it instead of waiting days).
"""

from __future__ import annotations

from datetime import timedelta

from services.payments import bill_store
from services.payments.deps import PaymentsDeps
from shared.events.payments import BillDueSoon, BillOverdue
from shared.logging import get_logger

log = get_logger("payments").bind(component="bills_job")


async def run_bills_once(ctx: PaymentsDeps, limit: int = 200) -> tuple[int, int]:
    """One round; returns (reminded, marked overdue)."""
    now = ctx.clock.now()
    horizon = now + timedelta(days=ctx.settings.pay_later_remind_days)
    async with ctx.db.transaction() as tx:
        due_soon = await bill_store.claim_due_soon(tx.conn, now, horizon, limit)
        for row in due_soon:
            await tx.emit(BillDueSoon(bill_id=row["id"], order_id=row["order_id"], user_id=row["user_id"],
                                      due_fen=row["due_fen"], due_at=row["due_at"]))
    async with ctx.db.transaction() as tx:
        overdue = await bill_store.claim_overdue(tx.conn, now, limit)
        for row in overdue:
            await tx.emit(BillOverdue(bill_id=row["id"], order_id=row["order_id"], user_id=row["user_id"],
                                      due_fen=row["due_fen"], due_at=row["due_at"]))
    if due_soon or overdue:
        log.info("bills round", reminded=len(due_soon), overdue=len(overdue))
    return len(due_soon), len(overdue)
