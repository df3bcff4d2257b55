"""集分宝: merchants' budgets and the grants of paid orders."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


async def budget(conn: Connection, merchant_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM jifenbao_budgets WHERE merchant_id = $1", merchant_id)


async def set_budget(conn: Connection, merchant_id: str, budget_code: str, points_per_yuan: int,
                     now: datetime) -> Record:
    row = await conn.fetchrow(
        "INSERT INTO jifenbao_budgets (merchant_id, budget_code, points_per_yuan, updated_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id) DO UPDATE SET budget_code = $2, "
        "points_per_yuan = $3, updated_at = $4 RETURNING *", merchant_id, budget_code, points_per_yuan, now)
    assert row is not None
    return row


async def grant(conn: Connection, order_id: str, *, for_update: bool = False) -> Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM jifenbao_grants WHERE order_id = $1{lock}", order_id)


async def open_grant(conn: Connection, *, order_id: str, merchant_id: str, user_id: str, alipay_user_id: str,
                     budget_code: str, points: int, partner_biz_no: str, now: datetime) -> None:
    """The order's grant, once (a second claim finds the first)."""
    await conn.execute(
        """INSERT INTO jifenbao_grants (order_id, merchant_id, user_id, alipay_user_id, budget_code, points,
                                        partner_biz_no, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT (order_id) DO NOTHING""",
        order_id, merchant_id, user_id, alipay_user_id, budget_code, points, partner_biz_no, now)


async def attempted(conn: Connection, order_id: str) -> None:
    await conn.execute("UPDATE jifenbao_grants SET attempts = attempts + 1 WHERE order_id = $1", order_id)


async def sent(conn: Connection, order_id: str, record_id: str, now: datetime) -> Record:
    row = await conn.fetchrow("UPDATE jifenbao_grants SET status = 'sent', record_id = $2, sent_at = $3 "
                              "WHERE order_id = $1 RETURNING *", order_id, record_id, now)
    assert row is not None
    return row
