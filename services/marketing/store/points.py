"""Points accounts, their ledger, and paid orders (points earned and spend for levels)."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


async def account(conn: Connection, user_id: str, *, for_update: bool = False) -> Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT balance, locked FROM points_accounts WHERE user_id = $1{lock}", user_id)


async def lock_points(conn: Connection, user_id: str, points: int) -> bool:
    """Hold points for an unpaid order, only out of what is not already held."""
    return bool(await conn.fetchval(
        "UPDATE points_accounts SET locked = locked + $2 WHERE user_id = $1 AND balance - locked >= $2 RETURNING 1",
        user_id, points))


async def unlock_points(conn: Connection, user_id: str, points: int) -> None:
    await conn.execute("UPDATE points_accounts SET locked = locked - $2 WHERE user_id = $1", user_id, points)


async def spend_locked(conn: Connection, user_id: str, points: int) -> None:
    await conn.execute("UPDATE points_accounts SET balance = balance - $2, locked = locked - $2 WHERE user_id = $1",
                       user_id, points)


async def add_points(conn: Connection, user_id: str, points: int) -> None:
    await conn.execute(
        """INSERT INTO points_accounts (user_id, balance) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET balance = points_accounts.balance + $2""", user_id, points)


async def take_points(conn: Connection, user_id: str, points: int) -> None:
    await conn.execute("UPDATE points_accounts SET balance = balance - $2 WHERE user_id = $1", user_id, points)


async def record(conn: Connection, *, user_id: str, kind: str, delta: int, ref: str, order_id: str | None,
                 now: datetime, shortfall: int = 0) -> bool:
    """One ledger entry per (kind, ref); False when it was already there."""
    return bool(await conn.fetchval(
        """INSERT INTO points_ledger (user_id, kind, delta, shortfall, order_id, ref, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, ref) DO NOTHING RETURNING 1""",
        user_id, kind, delta, shortfall, order_id, ref, now))


async def ledger(conn: Connection, user_id: str, limit: int = 100) -> list[Record]:
    return await conn.fetch(
        "SELECT kind, delta, shortfall, order_id, ref, created_at FROM points_ledger WHERE user_id = $1 "
        "ORDER BY id DESC LIMIT $2", user_id, limit)


async def insert_paid_order(conn: Connection, *, order_id: str, user_id: str, merchant_id: str, paid_fen: int,
                            points: int, paid_at: datetime) -> bool:
    """False for a second payment of the same order: points are earned once."""
    return bool(await conn.fetchval(
        """INSERT INTO paid_orders (order_id, user_id, merchant_id, paid_fen, points_earned, paid_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING RETURNING 1""",
        order_id, user_id, merchant_id, paid_fen, points, paid_at))


async def paid_order(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM paid_orders WHERE order_id = $1 FOR UPDATE", order_id)


async def record_refund(conn: Connection, order_id: str, total_refunded_fen: int, asked: int) -> None:
    await conn.execute(
        """UPDATE paid_orders SET refunded_fen = GREATEST(refunded_fen, $2), points_clawed = points_clawed + $3
           WHERE order_id = $1""", order_id, total_refunded_fen, asked)
