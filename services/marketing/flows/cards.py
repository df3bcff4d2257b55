"""Member cards in the buyer's Alipay card package (卡包), for a merchant that created its card template.

Claiming the merchant's card (`POST /merchants/{id}/card`) marks the member's Alipay card wanted; a change of
level (every payment and refund refreshes it) marks it behind. The card job pushes those to Alipay outside any
request: `alipay.marketing.card.open` once (its `out_serial_no` is made from the member, so a repeat opens
nothing new), then `alipay.marketing.card.update` with the level and points as they are now (absolute values:
a repeat is harmless). A failing call leaves the flag set and the next round tries again. The card opens the
mall at the merchant's page (entry `member_card`).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from services.marketing.deps import MarketingDeps
from services.marketing.store import members as members_db
from services.marketing.store import points as points_db
from shared.alipay import AlipayError, AlipayResponseError
from shared.logging import get_logger

log = get_logger("marketing").bind(component="cards")
BEIJING = "%Y-%m-%d %H:%M:%S"


def serial(user_id: str, merchant_id: str) -> str:
    return "mc" + hashlib.sha256(f"{user_id}\x00{merchant_id}".encode()).hexdigest()[:30]


async def create_template(deps: MarketingDeps, merchant_id: str, name: str, bg_color: str) -> dict[str, str]:
    """The merchant's card template at Alipay (made once; again: the same)."""
    async with deps.db.pool.acquire() as conn:
        found = await members_db.card_template(conn, merchant_id)
    if found is None:
        template_id = await deps.alipay.card_template_create(
            request_id=serial("template", merchant_id), card_show_name=name, bg_color=bg_color,
            logo_id="mpmall_logo", background_id="mpmall_background",
            open_card_url=deps.settings.card_open_url + f"&query=merchant_id%3D{merchant_id}")
        async with deps.db.transaction() as tx:
            found = await members_db.save_card_template(tx.conn, merchant_id, template_id, name)
    return {"merchant_id": merchant_id, "template_id": found["template_id"], "name": found["name"]}


async def sync_cards(deps: MarketingDeps, batch: int = 50) -> int:
    """One round of the card job: open or update the cards Alipay is behind on; how many were pushed."""
    pushed = 0
    async with deps.db.transaction() as tx:
        for member in await members_db.claim_dirty_cards(tx.conn, batch):
            now = deps.clock.now() + timedelta(hours=8)  # Alipay's times are Beijing time
            account = await points_db.account(tx.conn, member["user_id"])
            point, level = (account["balance"] if account else 0), f"VIP{member['level']}"
            try:
                card_no = member["alipay_card_no"] or await deps.alipay.card_open(
                    template_id=member["template_id"], out_serial_no=serial(member["user_id"], member["merchant_id"]),
                    user_id=member["alipay_user_id"], external_card_no=serial(member["user_id"], member["merchant_id"]),
                    level=level, point=point, open_date=now.strftime(BEIJING),
                    valid_date=(now + timedelta(days=365 * 20)).strftime(BEIJING))
                await deps.alipay.card_update(biz_card_no=card_no, level=level, point=point,
                                              occur_time=now.strftime(BEIJING))
            except (AlipayError, AlipayResponseError) as exc:
                log.warning("card not pushed", user_id=member["user_id"], merchant_id=member["merchant_id"],
                            error=str(exc))
                continue
            await members_db.card_synced(tx.conn, member["user_id"], member["merchant_id"], card_no)
            pushed += 1
    return pushed
