"""集分宝 for paid orders: a merchant that switched 集分宝 on (payments' alipay-features; the gateway checks it
when the budget is set) names its budget library at Alipay and a rate; the buyer of a paid order collects
`paid yuan × rate` 集分宝 into their Alipay account, once per order.

The grant row is committed before Alipay is asked, with a partner_biz_no made from the order: a retried or
concurrent claim finds the same row (locked while Alipay is asked, so two claims never ask at once) and asks
with the same partner_biz_no, which Alipay pays once. The budget is checked (`budgetlib.query`) before the
first ask only: after an ask whose answer was lost the budget already counts the grant.
"""

from __future__ import annotations

import hashlib
from typing import Any

from asyncpg import Record

from services.marketing.deps import MarketingDeps
from services.marketing.store import jifenbao as jifenbao_db
from shared.alipay import AlipayError, AlipayResponseError
from shared.refusal import Refusal

MEMO = "购物返集分宝"


def points_for(paid_fen: int, refunded_fen: int, points_per_yuan: int) -> int:
    return (paid_fen - refunded_fen) // 100 * points_per_yuan


def grant_view(row: Record) -> dict[str, Any]:
    return {"order_id": row["order_id"], "points": row["points"], "status": row["status"],
            "record_id": row["record_id"]}


async def offer(conn: Any, order: Record) -> dict[str, Any] | None:
    """What the success page shows: the grant made, or the 集分宝 the paid order may collect."""
    found = await jifenbao_db.grant(conn, order["order_id"])
    if found is not None:
        return grant_view(found)
    budget = await jifenbao_db.budget(conn, order["merchant_id"])
    points = points_for(order["paid_fen"], order["refunded_fen"], budget["points_per_yuan"]) if budget else 0
    return {"order_id": order["order_id"], "points": points, "status": "offered", "record_id": None} \
        if points > 0 else None


async def remaining(deps: MarketingDeps, budget_code: str) -> int | None:
    """What is left in the budget library at Alipay (`budgetlib.query`), for the owner's screen; None when
    Alipay refuses or does not answer (the screen says so rather than failing)."""
    try:
        return await deps.alipay.point_budget(budget_code)
    except (AlipayError, AlipayResponseError):
        return None


async def collect(deps: MarketingDeps, order: Record, alipay_user_id: str) -> dict[str, Any]:
    """Pay the paid order's 集分宝 into the buyer's Alipay account (once). AlipayResponseError (no answer) is
    the caller's to tell: asking again is safe."""
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        if await jifenbao_db.grant(tx.conn, order["order_id"]) is None:
            budget = await jifenbao_db.budget(tx.conn, order["merchant_id"])
            points = points_for(order["paid_fen"], order["refunded_fen"], budget["points_per_yuan"]) if budget else 0
            if budget is None or points <= 0:
                raise Refusal("no_jifenbao_offer", "This order earns no 集分宝", 404)
            biz_no = "jfb" + hashlib.sha256(order["order_id"].encode()).hexdigest()[:40]
            await jifenbao_db.open_grant(tx.conn, order_id=order["order_id"], merchant_id=order["merchant_id"],
                                         user_id=order["user_id"], alipay_user_id=alipay_user_id,
                                         budget_code=budget["budget_code"], points=points, partner_biz_no=biz_no,
                                         now=now)
    async with deps.db.transaction() as tx:
        row = await jifenbao_db.grant(tx.conn, order["order_id"], for_update=True)
        assert row is not None
        if row["status"] == "sent":
            return grant_view(row)
        try:
            if row["attempts"] == 0 and await deps.alipay.point_budget(row["budget_code"]) < row["points"]:
                raise Refusal("jifenbao_budget_exhausted", "The merchant's 集分宝 budget is spent", 409)
            await jifenbao_db.attempted(tx.conn, row["order_id"])
        except AlipayError as exc:
            raise Refusal("alipay_refused", f"Alipay refused: {exc.sub_code or exc.code}", 409) from None
    # The attempt is committed before asking: from now on a retry skips the budget check and asks again with
    # the same partner_biz_no (the grant row is locked again meanwhile, so asks never overlap).
    async with deps.db.transaction() as tx:
        row = await jifenbao_db.grant(tx.conn, order["order_id"], for_update=True)
        assert row is not None
        if row["status"] == "sent":
            return grant_view(row)
        try:
            record_id = await deps.alipay.point_send(budget_code=row["budget_code"],
                                                     partner_biz_no=row["partner_biz_no"], point_amount=row["points"],
                                                     user_id=row["alipay_user_id"], memo=MEMO)
        except AlipayError as exc:
            raise Refusal("alipay_refused", f"Alipay refused: {exc.sub_code or exc.code}", 409) from None
        return grant_view(await jifenbao_db.sent(tx.conn, row["order_id"], record_id, now))
