"""Flash sales (秒杀): the sale's own remaining count, each buyer's units of it, and admitted orders."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.catalog.store import Conn

SALE_COLUMNS = ("f.id, f.merchant_id, f.sku_id, s.product_id, f.price_fen, f.quantity, f.remaining, "
                "f.per_buyer_limit, f.starts_at, f.ends_at, s.price_fen AS list_price_fen")


async def sku_for_sale(conn: asyncpg.Connection, sku_id: str, merchant_id: str) -> asyncpg.Record | None:
    """The merchant's SKU, locked: a sale's units are carved out of what is available now."""
    return await conn.fetchrow(
        "SELECT s.id, s.price_fen, s.available FROM skus s JOIN products p ON p.id = s.product_id "
        "WHERE s.id = $1 AND p.merchant_id = $2 FOR UPDATE OF s", sku_id, merchant_id)


async def overlapping_sale(conn: asyncpg.Connection, sku_id: str, starts_at: datetime, ends_at: datetime) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM flash_sales WHERE sku_id = $1 AND starts_at < $3 AND ends_at > $2 LIMIT 1",
        sku_id, starts_at, ends_at))


async def insert_sale(conn: asyncpg.Connection, sale_id: str, merchant_id: str, sku_id: str, price_fen: int,
                      quantity: int, per_buyer_limit: int, starts_at: datetime, ends_at: datetime) -> None:
    """The sale, and its units moved from the SKU's available to reserved (ordinary orders cannot take them)."""
    await conn.execute(
        "INSERT INTO flash_sales (id, merchant_id, sku_id, price_fen, quantity, remaining, per_buyer_limit, "
        "starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        sale_id, merchant_id, sku_id, price_fen, quantity, per_buyer_limit, starts_at, ends_at)
    await conn.execute("UPDATE skus SET available = available - $2, reserved = reserved + $2 WHERE id = $1",
                       sku_id, quantity)


async def sale(conn: Conn, sale_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {SALE_COLUMNS} FROM flash_sales f JOIN skus s ON s.id = f.sku_id WHERE f.id = $1", sale_id)


async def lock_sale(conn: asyncpg.Connection, sale_id: str) -> asyncpg.Record | None:
    """The sale, its row locked until commit, before any buyer's row: every admission batch and every release
    takes the sale first, so they are decided one after another on every replica (each reads what the one
    before it committed) and never wait for each other in opposite orders."""
    return await conn.fetchrow("SELECT id, sku_id, price_fen, per_buyer_limit, starts_at, ends_at, remaining "
                               "FROM flash_sales WHERE id = $1 FOR UPDATE", sale_id)


async def merchant_sales(conn: Conn, merchant_id: str, limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {SALE_COLUMNS} FROM flash_sales f JOIN skus s ON s.id = f.sku_id WHERE f.merchant_id = $1 "
        "ORDER BY f.starts_at DESC, f.id LIMIT $2 OFFSET $3", merchant_id, limit, offset)


async def product_sales(conn: Conn, product_id: str, now: datetime) -> list[asyncpg.Record]:
    """The product's sales not over yet, soonest first (one per SKU at a time: windows never overlap)."""
    return await conn.fetch(
        f"SELECT {SALE_COLUMNS} FROM flash_sales f JOIN skus s ON s.id = f.sku_id "
        "WHERE s.product_id = $1 AND f.ends_at > $2 ORDER BY f.starts_at, f.id", product_id, now)


async def current_sales(conn: Conn, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Running and upcoming sales of active products, running first, then by start."""
    return await conn.fetch(
        f"SELECT {SALE_COLUMNS}, p.name, p.image FROM flash_sales f JOIN skus s ON s.id = f.sku_id "
        "JOIN products p ON p.id = s.product_id "
        "WHERE f.ends_at > $1 AND p.active AND s.sellable ORDER BY f.starts_at, f.id LIMIT $2", now, limit)


async def batch_state(conn: asyncpg.Connection, sale_id: str, users: list[str], keys: list[str]
                      ) -> tuple[dict[tuple[str, str], str], dict[str, int]]:
    """For a batch of requests (`users[i]` asked with `keys[i]`), read under the sale's lock in one round trip:
    (buyer, request key) -> admission id of the requests admitted before (retries), and the units each of
    these buyers holds of the sale (admitted, not released)."""
    rows = await conn.fetch(
        "SELECT user_id, units, NULL AS request_key, NULL AS admission_id FROM flash_buyers "
        "WHERE sale_id = $1 AND user_id = ANY($2) "
        "UNION ALL SELECT a.user_id, NULL, a.request_key, a.id FROM flash_admissions a "
        "JOIN unnest($2::text[], $3::text[]) AS r(user_id, request_key) "
        "ON a.user_id = r.user_id AND a.request_key = r.request_key WHERE a.sale_id = $1", sale_id, users, keys)
    known = {(r["user_id"], r["request_key"]): r["admission_id"] for r in rows if r["admission_id"] is not None}
    held = {r["user_id"]: r["units"] for r in rows if r["admission_id"] is None}
    return known, held


# The batch's writes, one statement, run under the sale's lock once the batch is decided: the sale's count
# down by the batch's total (never below what is left: the WHERE refuses it, and the caller fails the batch),
# each buyer's count up (one row per buyer), one admission row per admitted request.
ADMIT = """
WITH taken AS (
    UPDATE flash_sales SET remaining = remaining - $2 WHERE id = $1 AND remaining >= $2 RETURNING true
), buyers AS (
    INSERT INTO flash_buyers AS b (sale_id, user_id, units)
    SELECT $1, t.user_id, sum(t.qty) FROM unnest($4::text[], $6::int[]) AS t(user_id, qty), taken
    GROUP BY t.user_id
    ON CONFLICT (sale_id, user_id) DO UPDATE SET units = b.units + EXCLUDED.units
), admitted AS (
    INSERT INTO flash_admissions (id, request_key, sale_id, user_id, qty, status, at)
    SELECT t.id, t.request_key, $1, t.user_id, t.qty, 'held', $7
    FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS t(id, user_id, request_key, qty), taken
)
SELECT count(*) FROM taken
"""


async def admit(conn: asyncpg.Connection, sale_id: str, ids: list[str], users: list[str], keys: list[str],
                qtys: list[int], at: datetime) -> bool:
    """Write a decided batch; False (nothing written) if the sale has fewer units left than it takes."""
    return bool(await conn.fetchval(ADMIT, sale_id, sum(qtys), ids, users, keys, qtys, at))


async def bind(conn: asyncpg.Connection, admission_id: str, order_id: str, sale_id: str, user_id: str,
               qty: int) -> bool:
    """The order takes the buyer's admission: it must be theirs, of this sale and size, held and not taken."""
    return await conn.fetchval(
        "UPDATE flash_admissions SET order_id = $2 WHERE id = $1 AND sale_id = $3 AND user_id = $4 AND qty = $5 "
        "AND status = 'held' AND order_id IS NULL RETURNING true",
        admission_id, order_id, sale_id, user_id, qty) is not None


RELEASED = "a.sale_id, a.user_id, a.qty, f.sku_id"


async def release(conn: asyncpg.Connection, order_id: str) -> None:
    """An unpaid admitted order's units back to the sale (or to the SKU once the sale is closed), and off the
    buyer's count (they may buy again)."""
    row = await conn.fetchrow(
        f"UPDATE flash_admissions a SET status = 'released' FROM flash_sales f "
        f"WHERE a.order_id = $1 AND a.status = 'held' AND f.id = a.sale_id RETURNING {RELEASED}", order_id)
    if row is not None:
        await _give_back(conn, row)


async def release_admission(conn: asyncpg.Connection, admission_id: str, sale_id: str, user_id: str
                            ) -> asyncpg.Record | None:
    """The buyer's admission that no order took, released now (the gateway's placement was refused), its units
    back as for an unpaid order; then, or if nothing was to release, the admission as it stands (None: no such
    admission of this buyer and sale)."""
    row = await conn.fetchrow(
        f"UPDATE flash_admissions a SET status = 'released' FROM flash_sales f WHERE a.id = $1 AND a.sale_id = $2 "
        f"AND a.user_id = $3 AND a.status = 'held' AND a.order_id IS NULL AND f.id = a.sale_id RETURNING {RELEASED}",
        admission_id, sale_id, user_id)
    if row is not None:
        await _give_back(conn, row)
    return await conn.fetchrow("SELECT status, order_id FROM flash_admissions WHERE id = $1 AND sale_id = $2 "
                               "AND user_id = $3", admission_id, sale_id, user_id)


async def release_unclaimed(conn: asyncpg.Connection, before: datetime, limit: int) -> int:
    """Admissions no order took before `before` (the gateway never placed it, or orders refused it): their
    units back as for an unpaid order. Claimed with SKIP LOCKED, so replicas share the work."""
    rows = await conn.fetch(
        f"UPDATE flash_admissions a SET status = 'released' FROM flash_sales f WHERE a.id IN ("
        f"  SELECT id FROM flash_admissions WHERE status = 'held' AND order_id IS NULL AND at < $1 "
        f"  ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED) AND f.id = a.sale_id RETURNING {RELEASED}",
        before, limit)
    for row in sorted(rows, key=lambda r: r["sale_id"]):  # sales locked in one order: no deadlock between jobs
        await _give_back(conn, row)
    return len(rows)


async def _give_back(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    # The sale's row before the buyer's, the order admissions take them in (no deadlock). NOT closed is checked
    # again after waiting on the row lock, so the closing job and this never both keep the units.
    await lock_sale(conn, row["sale_id"])
    if await conn.fetchval("UPDATE flash_sales SET remaining = remaining + $2 WHERE id = $1 AND NOT closed "
                           "RETURNING true", row["sale_id"], row["qty"]) is None:
        await conn.execute("UPDATE skus SET available = available + $2, reserved = reserved - $2 WHERE id = $1",
                           row["sku_id"], row["qty"])
    await conn.execute("UPDATE flash_buyers SET units = units - $3 WHERE sale_id = $1 AND user_id = $2",
                       row["sale_id"], row["user_id"], row["qty"])


CLOSE = """
WITH due AS (
    SELECT id, sku_id, remaining FROM flash_sales WHERE NOT closed AND ends_at <= $1
    ORDER BY ends_at LIMIT $2 FOR UPDATE SKIP LOCKED
), closed AS (
    UPDATE flash_sales f SET closed = true, remaining = 0 FROM due WHERE f.id = due.id
    RETURNING due.sku_id, due.remaining
), back AS (
    UPDATE skus s SET available = s.available + c.remaining, reserved = s.reserved - c.remaining
    FROM (SELECT sku_id, sum(remaining) AS remaining FROM closed GROUP BY sku_id) c WHERE s.id = c.sku_id
)
SELECT count(*) FROM closed
"""


async def close_ended(conn: asyncpg.Connection, now: datetime, limit: int) -> int:
    """Close sales that are over: the units they still hold go back to their SKU's ordinary stock."""
    return int(await conn.fetchval(CLOSE, now, limit))


SELL = """
WITH sold AS (
    UPDATE flash_admissions a SET status = 'sold' FROM flash_sales f
    WHERE a.order_id = $1 AND a.status = 'held' AND f.id = a.sale_id
    RETURNING f.sku_id, a.qty
), skus_sold AS (
    UPDATE skus s SET reserved = s.reserved - t.qty, sold = s.sold + t.qty FROM sold t WHERE s.id = t.sku_id
    RETURNING s.product_id, t.qty
)
UPDATE products p SET sold = p.sold + t.qty FROM skus_sold t WHERE p.id = t.product_id
RETURNING p.id
"""


async def sell(conn: asyncpg.Connection, order_id: str) -> bool:
    """A paid admitted order: its units leave the SKU's reserved (where the sale kept them) as sold."""
    return await conn.fetchval(SELL, order_id) is not None
