"""The reconciliation job: trades still waiting after a short while are asked about (`alipay.trade.query`),
so a lost notify never leaves a paid order unpaid for long. It runs once at start-up (the notifies of an
outage were lost with it), then every `reconcile_interval_s` (jobs.py). A round claims batches of trades until none
is left (or `reconcile_max_batches`), querying `reconcile_concurrency` at a time: a backlog of thousands
after a long outage clears in one round. Safe with several replicas: each batch is claimed with
SKIP LOCKED and stamped `checked_at`, so replicas share the backlog instead of repeating it."""

from __future__ import annotations

import asyncio

from services.payments import flows, store
from services.payments.deps import PaymentsDeps
from shared.logging import get_logger

log = get_logger("payments").bind(component="reconcile")


async def reconcile_once(ctx: PaymentsDeps, limit: int | None = None) -> int:
    """Query the waiting trades, batch after batch; returns how many changed (paid or closed)."""
    settings = ctx.settings
    batch = limit or settings.reconcile_batch
    gate = asyncio.Semaphore(settings.reconcile_concurrency)

    async def learn(out_trade_no: str) -> bool:
        async with gate:  # the gate bounds the queries in flight; applying waits for a pooled connection
            result = await flows.query_trade(ctx, out_trade_no)
        if isinstance(result, str):
            return False
        return await flows.apply_answer(ctx, out_trade_no, result) in ("paid", "closed")

    changed = 0
    for _ in range(settings.reconcile_max_batches):
        async with ctx.db.transaction() as tx:
            waiting = await store.claim_waiting_trades(tx.conn, settings.reconcile_after_s, batch)
        changed += sum(await asyncio.gather(*(learn(t) for t in waiting)))
        if len(waiting) < batch:
            break
    if changed:
        log.info("reconcile round", changed=changed)
    return changed
