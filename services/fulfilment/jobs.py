"""fulfilment's periodic rounds, run by the skeleton: subscribing shipped waybills at 快递100 (outbox-like:
`order.shipped` only writes a `subscriptions` row; the call to the provider happens here, never inside the
event's transaction, and is retried until the provider accepts or refuses the waybill)."""

from __future__ import annotations

from services.fulfilment import flows
from services.fulfilment.deps import FulfilmentDeps
from shared.service import Job


async def subscribe_round(deps: FulfilmentDeps) -> int:
    """Up to `subscribe_batch` subscriptions, one transaction each: the row stays locked (SKIP LOCKED for other
    replicas) only while its own request is under way."""
    if not deps.kuaidi100.configured:  # no provider configured: the rows wait
        return 0
    settings, done = deps.settings, 0
    while done < settings.subscribe_batch:
        async with deps.db.transaction() as tx:
            claimed = await flows.subscribe_due(tx, deps.kuaidi100, deps.clock.now(), 1,
                                                settings.subscribe_retry_seconds)
        if not claimed:
            break
        done += claimed
    return done


JOBS = [Job[FulfilmentDeps](subscribe_round, every=lambda deps: deps.settings.subscribe_poll_seconds, at_start=True)]
