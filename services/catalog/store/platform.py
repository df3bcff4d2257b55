"""The platform's writes: merchants it approved or suspended, and the category tree."""

from __future__ import annotations

import asyncpg

from services.catalog.store import Conn


async def add_approved_merchant(conn: asyncpg.Connection, merchant_id: str, name: str, licence_no: str) -> None:
    await conn.execute("INSERT INTO merchants (id, name, licence_no) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
                       merchant_id, name, licence_no)


async def suspend_merchant(conn: asyncpg.Connection, merchant_id: str) -> list[str]:
    """Mark the merchant suspended and take its active products off sale; the ids taken off (none when it was
    already suspended or is unknown)."""
    suspended = await conn.fetchval("UPDATE merchants SET suspended_at = now() WHERE id = $1 "
                                    "AND suspended_at IS NULL RETURNING true", merchant_id)
    if not suspended:
        return []
    rows = await conn.fetch(
        "WITH off AS (UPDATE products SET active = false WHERE merchant_id = $1 AND active RETURNING id) "
        "INSERT INTO suspended_products (product_id, merchant_id) SELECT id, $1 FROM off RETURNING product_id",
        merchant_id)
    return [r["product_id"] for r in rows]


async def reinstate_merchant(conn: asyncpg.Connection, merchant_id: str) -> list[str]:
    """Put back on sale exactly the products the suspension took off; their ids."""
    await conn.execute("UPDATE merchants SET suspended_at = NULL WHERE id = $1", merchant_id)
    rows = await conn.fetch(
        "WITH back AS (DELETE FROM suspended_products WHERE merchant_id = $1 RETURNING product_id) "
        "UPDATE products p SET active = true FROM back WHERE p.id = back.product_id RETURNING p.id", merchant_id)
    return [r["id"] for r in rows]


async def insert_category(conn: asyncpg.Connection, category_id: str, name: str, parent_id: str | None,
                          position: int) -> asyncpg.Record:
    row = await conn.fetchrow("INSERT INTO categories (id, parent_id, name, position) VALUES ($1, $2, $3, $4) "
                              "RETURNING id, parent_id, name, position", category_id, parent_id, name, position)
    assert row is not None
    return row


async def lock_category(conn: asyncpg.Connection, category_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, parent_id, name, position FROM categories WHERE id = $1 FOR UPDATE",
                               category_id)


async def ancestors(conn: Conn, category_id: str) -> list[str]:
    """The category and every category above it."""
    rows = await conn.fetch(
        "WITH RECURSIVE up AS (SELECT id, parent_id FROM categories WHERE id = $1 "
        "UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id) SELECT id FROM up",
        category_id)
    return [r["id"] for r in rows]


async def update_category(conn: asyncpg.Connection, category_id: str, name: str, parent_id: str | None,
                          position: int) -> asyncpg.Record:
    row = await conn.fetchrow("UPDATE categories SET name = $2, parent_id = $3, position = $4 WHERE id = $1 "
                              "RETURNING id, parent_id, name, position", category_id, name, parent_id, position)
    assert row is not None
    return row


async def category_in_use(conn: Conn, category_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM categories WHERE parent_id = $1) "
        "OR EXISTS (SELECT 1 FROM products WHERE category_id = $1)", category_id))


async def delete_category(conn: asyncpg.Connection, category_id: str) -> None:
    await conn.execute("DELETE FROM categories WHERE id = $1", category_id)
