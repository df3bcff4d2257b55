"""Group buying: deals, groups and their seats (one per order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asyncpg import Record

from services.marketing.domain.group_buy import Deal
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import returned

DEAL_COLUMNS = ("id, merchant_id, sku_id, name, group_price_fen, group_size, time_limit_hours, starts_at, ends_at, "
                "status, created_at, updated_at")


def deal_of(row: Record) -> Deal:
    return Deal(id=row["id"], merchant_id=row["merchant_id"], sku_id=row["sku_id"],
                group_price_fen=row["group_price_fen"], group_size=row["group_size"],
                time_limit_hours=row["time_limit_hours"], starts_at=row["starts_at"], ends_at=row["ends_at"],
                status=row["status"])


async def insert_deal(conn: Connection, *, deal_id: str, merchant_id: str, sku_id: str, name: str,
                      group_price_fen: int, group_size: int, time_limit_hours: int, starts_at: datetime,
                      ends_at: datetime, now: datetime) -> Record:
    return returned(await conn.fetchrow(
        f"""INSERT INTO group_deals (id, merchant_id, sku_id, name, group_price_fen, group_size, time_limit_hours,
                                     starts_at, ends_at, status, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $10) RETURNING {DEAL_COLUMNS}""",
        deal_id, merchant_id, sku_id, name, group_price_fen, group_size, time_limit_hours, starts_at, ends_at, now))


async def get_deal(conn: Connection, deal_id: str, merchant_id: str | None = None) -> Record | None:
    return await conn.fetchrow(
        f"SELECT {DEAL_COLUMNS} FROM group_deals WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2)",
        deal_id, merchant_id)


async def deals_of_merchant(conn: Connection, merchant_id: str) -> list[Record]:
    return await conn.fetch(
        f"SELECT {DEAL_COLUMNS} FROM group_deals WHERE merchant_id = $1 ORDER BY created_at DESC, id LIMIT 200",
        merchant_id)


async def running_deals_of_sku(conn: Connection, sku_id: str, now: datetime) -> list[Record]:
    return await conn.fetch(
        f"SELECT {DEAL_COLUMNS} FROM group_deals WHERE sku_id = $1 AND status = 'active' "
        "AND starts_at <= $2 AND ends_at > $2 ORDER BY group_price_fen, id", sku_id, now)


_DEAL_UPDATABLE = frozenset({"name", "group_price_fen", "group_size", "time_limit_hours", "starts_at", "ends_at",
                             "status"})


async def update_deal(conn: Connection, deal_id: str, merchant_id: str, now: datetime,
                      changes: dict[str, Any]) -> Record | None:
    """Set the named columns (a fixed whitelist); None for a deal that is not this merchant's."""
    unknown = set(changes) - _DEAL_UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(changes)
    sets = "".join(f", {name} = ${i}" for i, name in enumerate(names, start=4))
    return await conn.fetchrow(
        f"UPDATE group_deals SET updated_at = $3{sets} WHERE id = $1 AND merchant_id = $2 "
        f"RETURNING {DEAL_COLUMNS}", deal_id, merchant_id, now, *(changes[n] for n in names))


# --- groups and seats -----------------------------------------------------------------------------------


async def open_group(conn: Connection, *, group_id: str, deal: Deal, now: datetime, expires: datetime) -> bool:
    """False when the group exists already (its order.placed seen again under a new id)."""
    return bool(await conn.fetchval(
        """INSERT INTO group_buys (id, deal_id, merchant_id, size, group_price_fen, status, opened_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) ON CONFLICT (id) DO NOTHING RETURNING 1""",
        group_id, deal.id, deal.merchant_id, deal.group_size, deal.group_price_fen, now, expires))


async def lock_group(conn: Connection, group_id: str) -> Record | None:
    """The group locked for this transaction: seats are claimed, paid and ended one after another."""
    return await conn.fetchrow("SELECT * FROM group_buys WHERE id = $1 FOR UPDATE", group_id)


async def get_group(conn: Connection, group_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM group_buys WHERE id = $1", group_id)


async def count_seated(conn: Connection, group_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM group_buy_members WHERE group_id = $1 AND status <> 'released'", group_id))


async def count_paid(conn: Connection, group_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM group_buy_members WHERE group_id = $1 AND status = 'paid'", group_id))


async def is_member(conn: Connection, group_id: str, user_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT 1 FROM group_buy_members WHERE group_id = $1 AND user_id = $2 AND status <> 'released'",
        group_id, user_id))


async def add_member(conn: Connection, *, group_id: str, order_id: str, user_id: str, nickname: str, opener: bool,
                     now: datetime) -> None:
    await conn.execute(
        """INSERT INTO group_buy_members (order_id, group_id, user_id, nickname, opener, status, joined_at)
           VALUES ($1, $2, $3, $4, $5, 'reserved', $6)""", order_id, group_id, user_id, nickname, opener, now)


async def seat_of_order(conn: Connection, order_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM group_buy_members WHERE order_id = $1", order_id)


async def move_seat(conn: Connection, order_id: str, from_status: str, to_status: str,
                    now: datetime) -> Record | None:
    """A conditional change of an order's seat: only one of racing events wins it."""
    return await conn.fetchrow(
        "UPDATE group_buy_members SET status = $3, paid_at = CASE WHEN $3 = 'paid' THEN $4 ELSE paid_at END "
        "WHERE order_id = $1 AND status = $2 RETURNING *", order_id, from_status, to_status, now)


async def members(conn: Connection, group_id: str) -> list[Record]:
    return await conn.fetch(
        "SELECT * FROM group_buy_members WHERE group_id = $1 AND status <> 'released' ORDER BY joined_at, order_id",
        group_id)


async def end_group(conn: Connection, group_id: str, status: str, now: datetime) -> None:
    await conn.execute("UPDATE group_buys SET status = $2, ended_at = $3 WHERE id = $1 AND status = 'open'",
                       group_id, status, now)


async def claim_expired_groups(conn: Connection, now: datetime, limit: int) -> list[Record]:
    """Open groups past their deadline that no other replica holds; locked until this transaction ends."""
    return await conn.fetch(
        "SELECT * FROM group_buys WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at "
        "LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
