"""Member levels: recomputed on every payment and refund of a member, and by a periodic job for members whose
spend has rolled out of the window since."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiohttp import web

from services.marketing.domain.levels import level_for
from services.marketing.settings import MarketingSettings
from services.marketing.store import members as members_db
from shared.clock import Clock
from shared.db import Database, Tx
from shared.events.marketing import MemberLevelChanged
from shared.logging import get_logger
from shared.service import DB, Job


async def refresh_level(tx: Tx, settings: MarketingSettings, user_id: str, merchant_id: str, now: datetime) -> None:
    """Level from net spend in the window as of `now`; `member.level_changed` when it moved."""
    await members_db.ensure_member(tx.conn, user_id, merchant_id)
    member = await members_db.member(tx.conn, user_id, merchant_id, for_update=True)
    assert member is not None
    since = now - timedelta(days=settings.level_window_days)
    level = level_for(await members_db.spend_since(tx.conn, user_id, merchant_id, since),
                      settings.level_thresholds_fen)
    if level != member["level"]:
        await members_db.set_level(tx.conn, user_id, merchant_id, level)
        await tx.emit(MemberLevelChanged(user_id=user_id, merchant_id=merchant_id, old_level=member["level"],
                                         new_level=level))


def level_job(settings: MarketingSettings, clock: Clock) -> Job:
    """Every `level_refresh_seconds`, lower the levels whose spend has left the rolling window."""

    async def level_job(app: web.Application) -> None:
        log = get_logger(settings.service).bind(component="levels")
        while True:
            await asyncio.sleep(settings.level_refresh_seconds)
            try:
                await refresh_stale_levels(app[DB], settings, clock.now())
            except Exception:  # the job must outlive a database hiccup; the next round tries again
                log.exception("level refresh failed")

    return level_job


async def refresh_stale_levels(db: Database, settings: MarketingSettings, now: datetime) -> int:
    since = now - timedelta(days=settings.level_window_days)
    stale = await members_db.members_above(db.pool, since, settings.level_thresholds_fen)
    for row in stale:
        # One member per transaction, the same refresh as the event handlers (row lock on the member).
        async with db.transaction() as tx:
            await refresh_level(tx, settings, row["user_id"], row["merchant_id"], now)
    return len(stale)
