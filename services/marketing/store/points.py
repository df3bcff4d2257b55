"""Points accounts, their ledger, and paid orders (points earned and spend for levels)."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from shared.db import Queryable as Connection  # reads may run on the pool


async def account(conn: Connection, user_id: str, *, for_update: bool = False) -> Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT balance, locked, debt FROM points_accounts WHERE user_id = $1{lock}",
                               user_id)


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


async def change(conn: Connection, user_id: str, *, balance: int, debt: int) -> None:
    """Add to balance and debt (negative takes away); the caller holds the account row locked."""
    # Two statements: an INSERT ... ON CONFLICT checks the row it would insert, negative amounts included.
    await conn.execute("INSERT INTO points_accounts (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", user_id)
    await conn.execute("UPDATE points_accounts SET balance = balance + $2, debt = debt + $3 WHERE user_id = $1",
                       user_id, balance, debt)


async def record(conn: Connection, *, user_id: str, kind: str, delta: int, ref: str, order_id: str | None,
                 now: datetime, shortfall: int = 0, pending: int = 0) -> bool:
    """One ledger entry per (kind, ref); False when it was already there. `delta` changes the balance,
    `pending` the points waiting on their orders."""
    return bool(await conn.fetchval(
        """INSERT INTO points_ledger (user_id, kind, delta, shortfall, pending, order_id, ref, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, ref) DO NOTHING RETURNING 1""",
        user_id, kind, delta, shortfall, pending, order_id, ref, now))


async def ledger(conn: Connection, user_id: str, limit: int = 100) -> list[Record]:
    return await conn.fetch(
        "SELECT kind, delta, shortfall, pending, order_id, ref, created_at FROM points_ledger WHERE user_id = $1 "
        "ORDER BY id DESC LIMIT $2", user_id, limit)


async def insert_paid_order(conn: Connection, *, order_id: str, user_id: str, merchant_id: str, paid_fen: int,
                            points: int, paid_at: datetime) -> bool:
    """False for a second payment of the same order: points are earned once, pending until released."""
    return bool(await conn.fetchval(
        """INSERT INTO paid_orders (order_id, user_id, merchant_id, paid_fen, points_earned, paid_at, points_state)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (order_id) DO NOTHING RETURNING 1""",
        order_id, user_id, merchant_id, paid_fen, points, paid_at))


async def paid_order(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM paid_orders WHERE order_id = $1 FOR UPDATE", order_id)


async def record_refund(conn: Connection, order_id: str, total_refunded_fen: int, asked: int, state: str) -> None:
    await conn.execute(
        """UPDATE paid_orders SET refunded_fen = GREATEST(refunded_fen, $2), points_clawed = points_clawed + $3,
                                  points_state = $4
           WHERE order_id = $1""", order_id, total_refunded_fen, asked, state)


async def set_release_at(conn: Connection, order_id: str, release_at: datetime) -> None:
    """The first order.completed fixes the release; later ones (or after a cancellation) change nothing."""
    await conn.execute(
        "UPDATE paid_orders SET release_at = $2 WHERE order_id = $1 AND points_state = 'pending' "
        "AND release_at IS NULL", order_id, release_at)


async def due_releases(conn: Connection, now: datetime, limit: int) -> list[Record]:
    """Pending orders whose release time has come, locked; rows another replica holds are skipped."""
    return await conn.fetch(
        """SELECT * FROM paid_orders WHERE points_state = 'pending' AND release_at <= $1
           ORDER BY release_at LIMIT $2 FOR UPDATE SKIP LOCKED""", now, limit)


async def mark_released(conn: Connection, order_id: str, now: datetime) -> bool:
    """Conditional: False when the order's points are no longer pending (released or cancelled meanwhile)."""
    return bool(await conn.fetchval(
        "UPDATE paid_orders SET points_state = 'released', released_at = $2 "
        "WHERE order_id = $1 AND points_state = 'pending' RETURNING 1", order_id, now))


async def pending(conn: Connection, user_id: str) -> list[Record]:
    """The user's points waiting on their orders; `release_at` is NULL until the order is completed."""
    return await conn.fetch(
        """SELECT order_id, merchant_id, points_earned - points_clawed AS points, paid_at, release_at
           FROM paid_orders WHERE user_id = $1 AND points_state = 'pending' AND points_earned > points_clawed
           ORDER BY paid_at LIMIT 100""", user_id)


async def pending_total(conn: Connection, user_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT COALESCE(sum(points_earned - points_clawed), 0) FROM paid_orders "
        "WHERE user_id = $1 AND points_state = 'pending'", user_id))
