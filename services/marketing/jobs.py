"""Marketing's periodic work: `run(deps)` is one round; the skeleton repeats it, sleeps in between and logs a
failing round (the next one tries again)."""

from __future__ import annotations

from datetime import timedelta

from services.marketing.deps import MarketingDeps
from services.marketing.flows.cards import sync_cards
from services.marketing.flows.group_buy import fail_expired_groups
from services.marketing.flows.levels import refresh_level
from services.marketing.flows.points import release_order
from services.marketing.flows.vouchers import sync_vouchers
from services.marketing.store import members as members_db
from services.marketing.store import points as points_db
from shared.service import Job


async def refresh_stale_levels(deps: MarketingDeps, batch: int = 100) -> int:
    """Lower the levels whose spend has left the rolling window since their member last paid or was refunded.

    Members are claimed in batches with FOR UPDATE SKIP LOCKED and refreshed in the claiming transaction (the
    same refresh as the event handlers), so several replicas share the work and none refreshes a member
    another is refreshing; once committed, a member's level is right and no later batch finds it stale.
    Returns how many members this replica refreshed."""
    settings, now = deps.settings, deps.clock.now()
    since = now - timedelta(days=settings.level_window_days)
    refreshed: set[tuple[str, str]] = set()
    while True:
        async with deps.db.transaction() as tx:
            stale = await members_db.claim_members_above(tx.conn, since, settings.level_thresholds_fen, batch)
            for row in stale:
                await refresh_level(tx, settings, row["user_id"], row["merchant_id"], now)
        claimed = {(row["user_id"], row["merchant_id"]) for row in stale}
        if len(stale) < batch or claimed <= refreshed:  # the last batch (or one that changed nothing: stop)
            return len(refreshed | claimed)
        refreshed |= claimed


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


async def end_expired_groups(deps: MarketingDeps) -> int:
    """Group-buy deadlines: every open group past its time limit fails (`flows.group_buy`)."""
    return await fail_expired_groups(deps.db, deps.clock.now())


JOBS = [
    Job[MarketingDeps](end_expired_groups, every=lambda deps: deps.settings.group_buy_poll_seconds, at_start=True),
    Job[MarketingDeps](refresh_stale_levels, every=lambda deps: deps.settings.level_refresh_seconds),
    Job[MarketingDeps](release_due, every=lambda deps: deps.settings.points_release_seconds),
    Job[MarketingDeps](sync_cards, every=lambda deps: deps.settings.card_sync_seconds),
    Job[MarketingDeps](sync_vouchers, every=lambda deps: deps.settings.voucher_sync_seconds),
]
