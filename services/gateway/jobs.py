"""The gateway's periodic work: forgetting state nobody needs any more. Any replica may run a round; each is
an idempotent DELETE."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from services.gateway import store
from services.gateway.deps import GatewayDeps
from shared.service import Job


async def forget_old_rate_windows(deps: GatewayDeps) -> None:
    """Rate-limit windows older than two windows, and login failures past their window."""
    settings = deps.settings
    window = max(1, settings.rate_window_seconds)
    await store.forget_old_windows(deps.db, datetime.fromtimestamp(time.time() - 2 * window, UTC))
    await store.forget_old_failures(deps.db, settings.login_failure_window_seconds)


async def forget_old_revocations(deps: GatewayDeps) -> None:
    """Deny-list rows whose tokens have all expired."""
    await store.forget_revocations(deps.db)


JOBS = [
    Job[GatewayDeps](forget_old_rate_windows, every=lambda deps: 60),
    Job[GatewayDeps](forget_old_revocations, every=lambda deps: 300),
]
