"""Campaigns and coupon templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asyncpg import Record

from services.marketing.domain.coupons import Rule
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import returned

TEMPLATE_COLUMNS = """t.id, t.campaign_id, t.merchant_id, t.name, t.channel, t.kind, t.amount_fen, t.threshold_fen,
    t.percent_off_bp, t.cap_fen, t.valid_until, t.valid_days, t.total_qty, t.issued_qty, t.per_user_limit,
    t.store_id, t.category_id, t.min_credit_score"""


def rule_of(row: Record) -> Rule:
    return Rule(kind=row["kind"], amount_fen=row["amount_fen"], threshold_fen=row["threshold_fen"],
                percent_off_bp=row["percent_off_bp"], cap_fen=row["cap_fen"], merchant_id=row["merchant_id"],
                category_id=row["category_id"])


async def insert_campaign(conn: Connection, c: dict[str, Any]) -> Record | None:
    return await conn.fetchrow(
        """INSERT INTO campaigns (id, merchant_id, name, kind, budget_fen, fission_needed, starts_at, ends_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING *""",
        c["id"], c["merchant_id"], c["name"], c["kind"], c.get("budget_fen"), c.get("fission_needed"),
        c["starts_at"], c.get("ends_at"))


async def get_campaign(conn: Connection, campaign_id: str, *, for_update: bool = False) -> Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT * FROM campaigns WHERE id = $1{lock}", campaign_id)


async def campaigns_of(conn: Connection, merchant_id: str) -> list[Record]:
    return await conn.fetch("SELECT * FROM campaigns WHERE merchant_id = $1 ORDER BY created_at, id", merchant_id)


async def set_campaign_status(conn: Connection, campaign_id: str, merchant_id: str, status: str) -> Record | None:
    return await conn.fetchrow(
        "UPDATE campaigns SET status = $3 WHERE id = $1 AND merchant_id = $2 RETURNING *",
        campaign_id, merchant_id, status)


async def commit_budget(conn: Connection, campaign_id: str, cost_fen: int, now: datetime) -> bool:
    """Reserve a coupon's face value against the campaign budget, only while the campaign runs and the
    budget has room: a conditional update, so concurrent claims can never overspend it."""
    return bool(await conn.fetchval(
        """UPDATE campaigns SET committed_fen = committed_fen + $2
           WHERE id = $1 AND status = 'active' AND starts_at <= $3 AND (ends_at IS NULL OR ends_at > $3)
             AND (budget_fen IS NULL OR committed_fen + $2 <= budget_fen)
           RETURNING 1""", campaign_id, cost_fen, now))


async def add_redeemed(conn: Connection, campaign_id: str, cost_fen: int) -> None:
    await conn.execute("UPDATE campaigns SET redeemed_fen = redeemed_fen + $2 WHERE id = $1", campaign_id, cost_fen)


async def insert_template(conn: Connection, t: dict[str, Any]) -> Record | None:
    return await conn.fetchrow(
        """INSERT INTO coupon_templates (id, campaign_id, merchant_id, name, channel, kind, amount_fen,
               threshold_fen, percent_off_bp, cap_fen, valid_until, valid_days, total_qty, per_user_limit,
               store_id, category_id, min_credit_score)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
           ON CONFLICT (id) DO NOTHING RETURNING *""",
        t["id"], t["campaign_id"], t["merchant_id"], t["name"], t["channel"], t["kind"], t.get("amount_fen"),
        t.get("threshold_fen", 0), t.get("percent_off_bp"), t.get("cap_fen"), t.get("valid_until"),
        t.get("valid_days"), t["total_qty"], t.get("per_user_limit", 1), t.get("store_id"),
        t.get("category_id"), t.get("min_credit_score"))


async def get_template(conn: Connection, template_id: str) -> Record | None:
    return await conn.fetchrow(
        f"SELECT {TEMPLATE_COLUMNS}, c.kind AS campaign_kind FROM coupon_templates t "
        "JOIN campaigns c ON c.id = t.campaign_id WHERE t.id = $1", template_id)


async def templates_of_campaign(conn: Connection, campaign_id: str) -> list[Record]:
    return await conn.fetch(f"SELECT {TEMPLATE_COLUMNS} FROM coupon_templates t WHERE t.campaign_id = $1 "
                            "ORDER BY t.created_at, t.id", campaign_id)


async def fission_template(conn: Connection, campaign_id: str, channel: str) -> Record | None:
    return await conn.fetchrow(
        f"SELECT {TEMPLATE_COLUMNS} FROM coupon_templates t WHERE t.campaign_id = $1 AND t.channel = $2 "
        "ORDER BY t.created_at, t.id LIMIT 1", campaign_id, channel)


async def claimable_templates(conn: Connection, now: datetime, *, merchant_id: str | None = None,
                              store_id: str | None = None, store_ids: list[str] | None = None,
                              channel: str = "public") -> list[Record]:
    """Public (or `channel`) templates of running campaigns that still have coupons (filters are optional)."""
    return await conn.fetch(
        f"""SELECT {TEMPLATE_COLUMNS} FROM coupon_templates t JOIN campaigns c ON c.id = t.campaign_id
            WHERE t.channel = $5 AND c.status = 'active' AND c.starts_at <= $1
              AND (c.ends_at IS NULL OR c.ends_at > $1) AND t.issued_qty < t.total_qty
              AND (t.valid_until IS NULL OR t.valid_until > $1)
              AND ($2::text IS NULL OR t.merchant_id = $2)
              AND ($3::text IS NULL OR t.store_id = $3)
              AND ($4::text[] IS NULL OR t.store_id = ANY($4))
            ORDER BY t.created_at, t.id LIMIT 200""", now, merchant_id, store_id, store_ids, channel)


async def take_template_stock(conn: Connection, template_id: str) -> bool:
    """One coupon off the template's total quantity; a conditional update, so it never oversells."""
    return bool(await conn.fetchval(
        "UPDATE coupon_templates SET issued_qty = issued_qty + 1 WHERE id = $1 AND issued_qty < total_qty "
        "RETURNING 1", template_id))


async def take_user_allowance(conn: Connection, template_id: str, user_id: str, limit: int) -> bool:
    """One more coupon of a template for a user, if under the per-user limit.

    The unique key makes concurrent first claims of one user meet on one row; DO UPDATE re-checks the
    limit on the latest version of that row.
    """
    return bool(await conn.fetchval(
        """INSERT INTO template_claims (template_id, user_id, claimed) VALUES ($1, $2, 1)
           ON CONFLICT (template_id, user_id) DO UPDATE SET claimed = template_claims.claimed + 1
           WHERE template_claims.claimed < $3 RETURNING 1""", template_id, user_id, limit))


async def campaign_stats(conn: Connection, campaign_id: str, now: datetime) -> Record:
    return returned(await conn.fetchrow(
        """SELECT count(*) AS issued,
                  count(*) FILTER (WHERE status = 'used') AS used,
                  count(*) FILTER (WHERE status = 'locked') AS locked,
                  count(*) FILTER (WHERE status = 'available' AND expires_at <= $2) AS expired,
                  (SELECT count(*) FROM fission_groups g WHERE g.campaign_id = $1) AS groups,
                  (SELECT count(*) FROM fission_groups g WHERE g.campaign_id = $1 AND unlocked_at IS NOT NULL)
                      AS unlocked_groups
           FROM coupons WHERE campaign_id = $1""", campaign_id, now))


async def pay_gift_claim(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM pay_gift_claims WHERE order_id = $1", order_id)


async def record_pay_gift(conn: Connection, order_id: str, user_id: str, coupon_id: str, now: datetime) -> bool:
    """False when the order's gift was claimed already (one per paid order)."""
    return bool(await conn.fetchval(
        "INSERT INTO pay_gift_claims (order_id, user_id, coupon_id, claimed_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (order_id) DO NOTHING RETURNING 1", order_id, user_id, coupon_id, now))
