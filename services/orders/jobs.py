"""The orders service's periodic rounds, run by the skeleton: acting on due deadlines (see
`flows.run_due_deadlines`: safe with any number of replicas)."""

from __future__ import annotations

from services.orders import flows
from services.orders.deps import OrdersDeps
from shared.service import Job


async def deadline_round(deps: OrdersDeps) -> int:
    """Act on every due deadline, `deadline_batch` at a time: a full batch means more may be due, so the round
    goes on at once; it ends (and the next one comes `deadline_poll_seconds` later) on a short batch."""
    batch, acted = deps.settings.deadline_batch, 0
    while True:
        done = await flows.run_due_deadlines(deps.db, deps.clock, batch, deps.settings.refund_waits())
        acted += done
        if done < batch:
            return acted


JOBS = [Job[OrdersDeps](run=deadline_round, every=lambda deps: deps.settings.deadline_poll_seconds, at_start=True)]
