"""Users' coupons: issue, list, lock for an order, release, redeem."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from services.marketing.store.campaigns import TEMPLATE_COLUMNS
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import returned

COUPON_COLUMNS = """k.id, k.template_id, k.campaign_id, k.merchant_id, k.user_id, k.status, k.source, k.claimed_at,
    k.expires_at, k.order_id, k.discount_fen, k.used_at, k.voucher_code"""


async def insert_coupon(conn: Connection, *, coupon_id: str, template: Record, user_id: str, source: str,
                        claimed_at: datetime, expires_at: datetime) -> Record:
    return returned(await conn.fetchrow(
        f"""INSERT INTO coupons AS k (id, template_id, campaign_id, merchant_id, user_id, source, claimed_at,
                                      expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COUPON_COLUMNS}""",
        coupon_id, template["id"], template["campaign_id"], template["merchant_id"], user_id, source,
        claimed_at, expires_at))


async def coupons_of_user(conn: Connection, user_id: str, status: str | None, now: datetime) -> list[Record]:
    """A user's coupons with their template; `status` as the user sees it (expired is computed)."""
    return await conn.fetch(
        f"""SELECT {COUPON_COLUMNS}, t.name, t.kind, t.amount_fen, t.threshold_fen, t.percent_off_bp, t.cap_fen,
                   t.store_id, t.category_id
            FROM coupons k JOIN coupon_templates t ON t.id = k.template_id
            WHERE k.user_id = $1 AND (
                $2::text IS NULL
                OR ($2 = 'available' AND k.status = 'available' AND k.expires_at > $3)
                OR ($2 = 'expired' AND k.status = 'available' AND k.expires_at <= $3)
                OR ($2 = 'locked' AND k.status = 'locked')
                OR ($2 = 'used' AND k.status = 'used'))
            ORDER BY k.claimed_at DESC, k.id LIMIT 500""", user_id, status, now)


async def get_coupon_with_template(conn: Connection, coupon_id: str, *, for_update: bool = False) -> Record | None:
    lock = "FOR UPDATE OF k" if for_update else ""
    return await conn.fetchrow(
        f"""SELECT {COUPON_COLUMNS}, {TEMPLATE_COLUMNS.replace('t.id,', 't.id AS tid,', 1)}
            FROM coupons k JOIN coupon_templates t ON t.id = k.template_id WHERE k.id = $1 {lock}""", coupon_id)


async def usable_coupons(conn: Connection, user_id: str, now: datetime) -> list[Record]:
    """Coupons a user could put on an order now (the cart decides which apply)."""
    return await conn.fetch(
        f"""SELECT {COUPON_COLUMNS}, {TEMPLATE_COLUMNS.replace('t.id,', 't.id AS tid,', 1)}
            FROM coupons k JOIN coupon_templates t ON t.id = k.template_id
            WHERE k.user_id = $1 AND k.status = 'available' AND k.expires_at > $2
            ORDER BY k.expires_at, k.id LIMIT 200""", user_id, now)


async def lock_coupon(conn: Connection, coupon_id: str, user_id: str, order_id: str, discount_fen: int,
                      now: datetime) -> bool:
    """Hold a coupon for an order: only an available, unexpired coupon of this user, so two orders can
    never hold the same coupon (the second finds it locked)."""
    return bool(await conn.fetchval(
        """UPDATE coupons SET status = 'locked', order_id = $3, discount_fen = $4
           WHERE id = $1 AND user_id = $2 AND status = 'available' AND expires_at > $5 RETURNING 1""",
        coupon_id, user_id, order_id, discount_fen, now))


async def release_coupon(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow(
        """UPDATE coupons SET status = 'available', order_id = NULL, discount_fen = NULL
           WHERE order_id = $1 AND status = 'locked' RETURNING id, user_id""", order_id)


async def redeem_coupon(conn: Connection, order_id: str, now: datetime) -> Record | None:
    """Locked → used, once: a second order.paid for the order finds nothing locked."""
    return await conn.fetchrow(
        f"""UPDATE coupons k SET status = 'used', used_at = $2 WHERE order_id = $1 AND status = 'locked'
            RETURNING {COUPON_COLUMNS}""", order_id, now)


async def return_used_coupon(conn: Connection, order_id: str, now: datetime) -> Record | None:
    """A wholly refunded order's coupon is the buyer's again, if it has not expired (an expired one stays
    used: it could not be used again anyway)."""
    return await conn.fetchrow(
        f"""UPDATE coupons k SET status = 'available', order_id = NULL, discount_fen = NULL, used_at = NULL
            WHERE order_id = $1 AND status = 'used' AND expires_at > $2 RETURNING {COUPON_COLUMNS}""",
        order_id, now)
