"""What marketing holds for each order (coupon, discount, points) and where that stands."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


async def get_order(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM order_promotions WHERE order_id = $1 FOR UPDATE", order_id)


async def insert_order(conn: Connection, *, order_id: str, user_id: str, merchant_id: str, status: str,
                       coupon_id: str | None, discount_fen: int, points: int, reason: str | None,
                       now: datetime) -> bool:
    """False when the order is already known (e.g. an order.cancelled that came first left a tombstone)."""
    return bool(await conn.fetchval(
        """INSERT INTO order_promotions (order_id, user_id, merchant_id, status, coupon_id, discount_fen, points,
                                         reason, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (order_id) DO NOTHING RETURNING 1""",
        order_id, user_id, merchant_id, status, coupon_id, discount_fen, points, reason, now))


async def move_order(conn: Connection, order_id: str, from_status: str, to_status: str,
                     now: datetime) -> Record | None:
    """A conditional state change: only one of several racing events wins it."""
    return await conn.fetchrow(
        "UPDATE order_promotions SET status = $3, updated_at = $4 WHERE order_id = $1 AND status = $2 RETURNING *",
        order_id, from_status, to_status, now)
