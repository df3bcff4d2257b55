"""Alipay merchant vouchers (商家券): published templates, and the reports owed to Alipay."""

from __future__ import annotations

import hashlib
from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


def out_biz_no(action: str, coupon_id: str, order_id: str | None) -> str:
    """What Alipay sees as the request's id: the same coupon, action and order make the same one."""
    return "v" + hashlib.sha256(f"{action}\x00{coupon_id}\x00{order_id or ''}".encode()).hexdigest()[:40]


async def activity(conn: Connection, template_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM alipay_voucher_activities WHERE template_id = $1", template_id)


async def save_activity(conn: Connection, template_id: str, merchant_id: str, activity_id: str) -> Record:
    row = await conn.fetchrow(
        "INSERT INTO alipay_voucher_activities (template_id, merchant_id, activity_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (template_id) DO UPDATE SET activity_id = alipay_voucher_activities.activity_id RETURNING *",
        template_id, merchant_id, activity_id)
    assert row is not None
    return row


async def owe(conn: Connection, *, coupon_id: str, action: str, order_id: str | None, total_fen: int | None,
              now: datetime) -> None:
    """A report owed to Alipay, if the coupon is an Alipay voucher (its template published and the buyer's
    Alipay id known when claimed; a use or refund only of a coupon that was sent); made once per coupon,
    action and order."""
    await conn.execute(
        """INSERT INTO alipay_voucher_reports (out_biz_no, coupon_id, action, order_id, total_fen, created_at)
           SELECT $1, k.id, $3, $4, $5, $6 FROM coupons k
             JOIN alipay_voucher_activities a ON a.template_id = k.template_id
           WHERE k.id = $2 AND k.alipay_user_id IS NOT NULL AND ($3 = 'send' OR EXISTS (
               SELECT 1 FROM alipay_voucher_reports s WHERE s.coupon_id = k.id AND s.action = 'send'))
           ON CONFLICT (out_biz_no) DO NOTHING""",
        out_biz_no(action, coupon_id, order_id), coupon_id, action, order_id, total_fen, now)


async def set_alipay_user(conn: Connection, coupon_id: str, alipay_user_id: str) -> None:
    await conn.execute("UPDATE coupons SET alipay_user_id = $2 WHERE id = $1", coupon_id, alipay_user_id)


async def claim_pending(conn: Connection, limit: int, max_attempts: int) -> list[Record]:
    """Reports not made yet, oldest first (a send before the use of its voucher), each with what Alipay needs;
    SKIP LOCKED shares them between replicas."""
    return await conn.fetch(
        """SELECT r.*, k.alipay_user_id, k.voucher_code, a.activity_id
           FROM alipay_voucher_reports r JOIN coupons k ON k.id = r.coupon_id
             JOIN alipay_voucher_activities a ON a.template_id = k.template_id
           WHERE r.reported_at IS NULL AND r.attempts < $2
           ORDER BY r.created_at, r.out_biz_no LIMIT $1 FOR UPDATE OF r SKIP LOCKED""",
        limit, max_attempts)


async def reported(conn: Connection, report_id: str, now: datetime, voucher_code: str | None = None) -> None:
    await conn.execute("UPDATE alipay_voucher_reports SET reported_at = $2, attempts = attempts + 1, "
                       "last_error = NULL WHERE out_biz_no = $1", report_id, now)
    if voucher_code is not None:
        await conn.execute("UPDATE coupons SET voucher_code = $2 WHERE id = (SELECT coupon_id FROM "
                           "alipay_voucher_reports WHERE out_biz_no = $1)", report_id, voucher_code)


async def failed(conn: Connection, report_id: str, error: str) -> None:
    await conn.execute("UPDATE alipay_voucher_reports SET attempts = attempts + 1, last_error = $2 "
                       "WHERE out_biz_no = $1", report_id, error[:500])
