"""Member levels: recomputed on every payment and refund of a member, and by a periodic job for members whose
spend has rolled out of the window since."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.marketing.domain.levels import level_for
from services.marketing.settings import MarketingSettings
from services.marketing.store import members as members_db
from shared.db import Tx
from shared.events.marketing import MemberLevelChanged


async def refresh_level(tx: Tx, settings: MarketingSettings, user_id: str, merchant_id: str, now: datetime) -> None:
    """Level from net spend in the window as of `now`; `member.level_changed` when it moved."""
    member = await members_db.member(tx.conn, user_id, merchant_id, for_update=True)
    if member is None:  # the buyer's first order here: the row is made (a concurrent twin makes it once), then locked
        await members_db.ensure_member(tx.conn, user_id, merchant_id)
        member = await members_db.member(tx.conn, user_id, merchant_id, for_update=True)
        assert member is not None
    since = now - timedelta(days=settings.level_window_days)
    level = level_for(await members_db.spend_since(tx.conn, user_id, merchant_id, since),
                      settings.level_thresholds_fen)
    if level != member["level"]:
        await members_db.set_level(tx.conn, user_id, merchant_id, level)
        await members_db.card_changed(tx.conn, user_id, merchant_id)  # the Alipay card shows the new level
        await tx.emit(MemberLevelChanged(user_id=user_id, merchant_id=merchant_id, old_level=member["level"],
                                         new_level=level))
