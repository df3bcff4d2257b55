"""Payments' periodic work: asking Alipay about trades still waiting (reconciliation), and the pay-later bill
reminders.

Reconciliation: trades still waiting after a short while are asked about (`alipay.trade.query`), so a lost
notify never leaves a paid order unpaid for long. It runs once at start-up (the notifies of an outage were
lost with it), then every `reconcile_interval_s`. A round claims batches of trades until none is left (or
`reconcile_max_batches`), querying `reconcile_concurrency` at a time: a backlog of thousands after a long
outage clears in one round. Safe with several replicas: each batch is claimed with SKIP LOCKED and stamped
`checked_at`, so replicas share the backlog instead of repeating it.

Bills: a reminder (`bill.due_soon`) before a pay-later bill falls due and `bill.overdue` after. Safe with
several replicas: each round claims its bills with FOR UPDATE SKIP LOCKED and marks them in the same
statement, and the events go through the outbox in that transaction, so each is emitted once. Time comes
from the deps' clock (tests move it instead of waiting days).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.payments import store
from services.payments.deps import PaymentsDeps
from services.payments.flows import bills, checks
from services.payments.store import bills as bill_store
from shared.events.payments import BillDueSoon, BillOverdue
from shared.logging import get_logger
from shared.service import Job

log = get_logger("payments", component="reconcile")
bills_log = get_logger("payments", component="bills_job")


async def reconcile_once(deps: PaymentsDeps, limit: int | None = None) -> int:
    """Query the waiting trades, batch after batch; returns how many changed (paid or closed)."""
    settings = deps.settings
    batch = limit or settings.reconcile_batch
    gate = asyncio.Semaphore(settings.reconcile_concurrency)

    async def learn(out_trade_no: str) -> bool:
        async with gate:  # the gate bounds the queries in flight; applying waits for a pooled connection
            result = await checks.query_trade(deps, out_trade_no)
        if isinstance(result, str):
            return False
        return await checks.apply_answer(deps, out_trade_no, result) in ("paid", "closed")

    changed = 0
    for _ in range(settings.reconcile_max_batches):
        async with deps.db.transaction() as tx:
            waiting = await store.claim_waiting_trades(tx.conn, settings.reconcile_after_s, batch)
        changed += sum(await asyncio.gather(*(learn(t) for t in waiting)))
        if len(waiting) < batch:
            break
    if changed:
        log.info("reconcile round", changed=changed)
    return changed


async def run_bills_once(deps: PaymentsDeps, limit: int = 200) -> tuple[int, int]:
    """One round; returns (reminded, marked overdue)."""
    now = deps.clock.now()
    horizon = now + timedelta(days=deps.settings.pay_later_remind_days)
    async with deps.db.transaction() as tx:
        due_soon = await bill_store.claim_due_soon(tx.conn, now, horizon, limit)
        for row in due_soon:
            await tx.emit(BillDueSoon(bill_id=row["id"], order_id=row["order_id"], user_id=row["user_id"],
                                      due_fen=row["due_fen"], due_at=row["due_at"]))
    async with deps.db.transaction() as tx:
        overdue = await bill_store.claim_overdue(tx.conn, now, limit)
        for row in overdue:
            await tx.emit(BillOverdue(bill_id=row["id"], order_id=row["order_id"], user_id=row["user_id"],
                                      due_fen=row["due_fen"], due_at=row["due_at"]))
    if due_soon or overdue:
        bills_log.info("bills round", reminded=len(due_soon), overdue=len(overdue))
    return len(due_soon), len(overdue)


JOBS = [
    # At start too: the notifies of an outage were lost with it.
    Job[PaymentsDeps](reconcile_once, every=lambda deps: deps.settings.reconcile_interval_s, at_start=True),
    Job[PaymentsDeps](run_bills_once, every=lambda deps: deps.settings.bill_job_interval_s),
    Job[PaymentsDeps](bills.deduct_due, every=lambda deps: deps.settings.bill_job_interval_s),
]
