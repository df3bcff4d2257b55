"""Stock, reservations and what paid orders teach recommendations."""

from __future__ import annotations

import asyncpg

from services.catalog.store import Conn

# The whole guard against oversell is this WHERE: the row lock serialises concurrent takers, and a taker
# that finds too little (or another price, or nothing on sale) changes nothing.
TAKE = """
UPDATE skus s SET available = s.available - $2, reserved = s.reserved + $2
FROM products p
WHERE s.id = $1 AND p.id = s.product_id AND s.available >= $2 AND s.price_fen = $3 AND s.sellable AND p.active
RETURNING s.id
"""


async def take_stock(conn: asyncpg.Connection, sku_id: str, qty: int, unit_price_fen: int) -> bool:
    return await conn.fetchval(TAKE, sku_id, qty, unit_price_fen) is not None


async def sku_state(conn: asyncpg.Connection, sku_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT s.price_fen, s.available, s.sellable AND p.active AS sellable FROM skus s "
        "JOIN products p ON p.id = s.product_id WHERE s.id = $1", sku_id)


async def add_reservation(conn: asyncpg.Connection, order_id: str, sku_id: str, qty: int,
                          user_id: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO reservations (order_id, sku_id, qty, status, user_id) VALUES ($1, $2, $3, 'held', $4)",
        order_id, sku_id, qty, user_id)


async def lock_buyer_sku(conn: asyncpg.Connection, user_id: str, sku_id: str) -> None:
    """Serialise one buyer's reservations of one SKU until this transaction ends, so two of their orders
    cannot both pass the cap. A hash collision only makes two unrelated pairs wait for each other."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('catalog.buyer_sku'), hashtext($1 || '/' || $2))",
                       user_id, sku_id)


async def held_by_buyer(conn: asyncpg.Connection, user_id: str, sku_id: str) -> int:
    """Units of the SKU the buyer holds now in unpaid orders."""
    return int(await conn.fetchval(
        "SELECT coalesce(sum(qty), 0) FROM reservations WHERE user_id = $1 AND sku_id = $2 AND status = 'held'",
        user_id, sku_id))


async def claim_order(conn: asyncpg.Connection, order_id: str, user_id: str, status: str = "reserved") -> bool:
    """Make this transaction the one that decides the order; False when it was decided (or cancelled) before.
    A concurrent twin waits here on the uncommitted row and then finds it, so an order is never reserved twice."""
    return bool(await conn.fetchval(
        "INSERT INTO stock_orders (order_id, user_id, status) VALUES ($1, $2, $3) "
        "ON CONFLICT (order_id) DO NOTHING RETURNING true", order_id, user_id, status))


async def order_status(conn: asyncpg.Connection, order_id: str) -> str | None:
    """The order's stock state, locked: the events of one order are handled one at a time."""
    return await conn.fetchval("SELECT status FROM stock_orders WHERE order_id = $1 FOR UPDATE", order_id)


async def move_order(conn: asyncpg.Connection, order_id: str, was: str, status: str) -> bool:
    """The order from `was` to `status`, locked (the events of one order are handled one at a time); False when
    it was not in `was`. One statement for the check and the change."""
    return bool(await conn.fetchval(
        "UPDATE stock_orders SET status = $3, reason = NULL, updated_at = now() "
        "WHERE order_id = $1 AND status = $2 RETURNING true", order_id, was, status))


async def set_order_status(conn: asyncpg.Connection, order_id: str, status: str, *, user_id: str | None = None,
                           reason: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO stock_orders (order_id, user_id, status, reason) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, "
        "user_id = coalesce(EXCLUDED.user_id, stock_orders.user_id), updated_at = now()",
        order_id, user_id, status, reason)


RELEASE = """
WITH released AS (
    UPDATE reservations SET status = 'released' WHERE order_id = $1 AND status = 'held' RETURNING sku_id, qty
)
UPDATE skus s SET available = s.available + r.qty, reserved = s.reserved - r.qty
FROM released r WHERE s.id = r.sku_id
RETURNING s.id
"""


async def release_held(conn: asyncpg.Connection, order_id: str) -> int:
    return len(await conn.fetch(RELEASE, order_id))


SELL = """
WITH sold AS (
    UPDATE reservations SET status = 'sold' WHERE order_id = $1 AND status = 'held' RETURNING sku_id, qty
), skus_sold AS (
    UPDATE skus s SET reserved = s.reserved - r.qty, sold = s.sold + r.qty
    FROM sold r WHERE s.id = r.sku_id
    RETURNING s.id, s.product_id, r.qty
), products_sold AS (
    UPDATE products p SET sold = p.sold + t.qty
    FROM (SELECT product_id, sum(qty) AS qty FROM skus_sold GROUP BY product_id) t WHERE p.id = t.product_id
    RETURNING p.id
)
SELECT id AS product_id FROM products_sold
"""


async def sell_held(conn: asyncpg.Connection, order_id: str) -> list[str]:
    """Held units become sold; returns the products sold (for bought-together counts)."""
    return [r["product_id"] for r in await conn.fetch(SELL, order_id)]


async def count_bought_together(conn: asyncpg.Connection, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    await conn.execute(
        "INSERT INTO bought_together (product_id, other_id, times) "
        "SELECT a, b, 1 FROM unnest($1::text[], $2::text[]) AS t(a, b) "
        "ON CONFLICT (product_id, other_id) DO UPDATE SET times = bought_together.times + 1",
        [a for a, _ in pairs], [b for _, b in pairs])


RESTOCK = """
WITH wanted AS (
    SELECT r.sku_id, least(r.qty - r.restocked, w.qty) AS qty
    FROM reservations r JOIN unnest($2::text[], $3::bigint[]) AS w(sku_id, qty) ON w.sku_id = r.sku_id
    WHERE r.order_id = $1 AND r.status = 'sold' AND r.restocked < r.qty
), marked AS (
    UPDATE reservations r SET restocked = r.restocked + w.qty FROM wanted w
    WHERE r.order_id = $1 AND r.sku_id = w.sku_id AND w.qty > 0
    RETURNING r.sku_id, w.qty
), skus_back AS (
    UPDATE skus s SET available = s.available + m.qty, sold = s.sold - m.qty
    FROM marked m WHERE s.id = m.sku_id
    RETURNING s.product_id, m.qty
)
UPDATE products p SET sold = greatest(0, p.sold - t.qty)
FROM (SELECT product_id, sum(qty) AS qty FROM skus_back GROUP BY product_id) t WHERE p.id = t.product_id
RETURNING p.id
"""


async def restock_sold(conn: asyncpg.Connection, order_id: str, lines: list[tuple[str, int]]) -> int:
    """Put refunded never-shipped units, or received returned ones, back on sale (at most what this order
    bought of each SKU)."""
    rows = await conn.fetch(RESTOCK, order_id, [s for s, _ in lines], [q for _, q in lines])
    return len(rows)


async def stock_of(conn: Conn, sku_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT available, reserved, sold FROM skus WHERE id = $1", sku_id)
