"""Marketing's periodic work: `run(deps)` is one round; the skeleton repeats it, sleeps in between and logs a
failing round (the next one tries again)."""

from __future__ import annotations

from datetime import timedelta

from services.marketing.deps import MarketingDeps
from services.marketing.flows.levels import refresh_level
from services.marketing.flows.points import release_order
from services.marketing.store import members as members_db
from services.marketing.store import points as points_db
from shared.service import Job


async def refresh_stale_levels(deps: MarketingDeps) -> int:
    """Lower the levels whose spend has left the rolling window since their member last paid or was refunded.

    Not claimed with SKIP LOCKED: the stale members are read on the pool, then each is refreshed in its own
    transaction under a plain row lock, so two replicas may refresh the same member (harmless: the second
    finds the level already right and emits nothing). Claiming them would mean reading them FOR UPDATE OF m
    SKIP LOCKED inside a transaction and refreshing them in it, in batches as `release_due` does: more than
    a one-statement change, left for later."""
    settings, now = deps.settings, deps.clock.now()
    since = now - timedelta(days=settings.level_window_days)
    stale = await members_db.members_above(deps.db.pool, since, settings.level_thresholds_fen)
    for row in stale:
        # One member per transaction, the same refresh as the event handlers (row lock on the member).
        async with deps.db.transaction() as tx:
            await refresh_level(tx, settings, row["user_id"], row["merchant_id"], now)
    return len(stale)


async def release_due(deps: MarketingDeps, batch: int = 100) -> int:
    """Release the pending points whose return window has closed, in batches; SKIP LOCKED lets several
    replicas share the work, and a row a refund holds waits for the next round (then it is cancelled or still
    due). Accounts are locked in user order, so two replicas never wait on each other."""
    db, released = deps.db, 0
    while True:
        async with db.transaction() as tx:
            due = await points_db.due_releases(tx.conn, deps.clock.now(), batch)
            for row in sorted(due, key=lambda r: r["user_id"]):
                await release_order(tx, row, deps.clock.now())
        released += len(due)
        if len(due) < batch:
            return released


JOBS = [
    Job[MarketingDeps](refresh_stale_levels, every=lambda deps: deps.settings.level_refresh_seconds),
    Job[MarketingDeps](release_due, every=lambda deps: deps.settings.points_release_seconds),
]
