"""What users keep: favourite products and stores; and what they buy together (recommendations)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.catalog.store import Conn


async def add_favorite_product(conn: Conn, user_id: str, product_id: str) -> None:
    await conn.execute("INSERT INTO favorite_products (user_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       user_id, product_id)


async def remove_favorite_product(conn: Conn, user_id: str, product_id: str) -> None:
    await conn.execute("DELETE FROM favorite_products WHERE user_id = $1 AND product_id = $2", user_id, product_id)


async def add_favorite_store(conn: Conn, user_id: str, store_id: str) -> None:
    await conn.execute("INSERT INTO favorite_stores (user_id, store_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       user_id, store_id)


async def remove_favorite_store(conn: Conn, user_id: str, store_id: str) -> None:
    await conn.execute("DELETE FROM favorite_stores WHERE user_id = $1 AND store_id = $2", user_id, store_id)


async def favorite_product_ids(conn: Conn, user_id: str, limit: int) -> list[str]:
    rows = await conn.fetch("SELECT product_id FROM favorite_products WHERE user_id = $1 "
                            "ORDER BY at DESC, product_id LIMIT $2", user_id, limit)
    return [r["product_id"] for r in rows]


async def favorite_stores(conn: Conn, user_id: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT s.id, s.merchant_id, s.name, s.address, s.lat, s.lng FROM favorite_stores f "
        "JOIN stores s ON s.id = f.store_id WHERE f.user_id = $1 ORDER BY f.at DESC, s.id LIMIT $2", user_id, limit)


async def products_of_skus(conn: Conn, sku_ids: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT DISTINCT p.id, p.category_id FROM skus s JOIN products p ON p.id = s.product_id "
        "WHERE s.id = ANY($1::text[])", sku_ids)


async def bought_with(conn: Conn, product_ids: list[str], limit: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT other_id FROM bought_together WHERE product_id = ANY($1::text[]) AND NOT other_id = ANY($1::text[]) "
        "GROUP BY other_id ORDER BY sum(times) DESC, other_id LIMIT $2", product_ids, limit)
    return [r["other_id"] for r in rows]


async def popular_products(conn: Conn, category_ids: list[str] | None, exclude: list[str],
                           limit: int) -> list[str]:
    """Best sellers, in the given categories (None: anywhere), without the excluded products."""
    rows = await conn.fetch(
        "SELECT id FROM products WHERE active AND NOT id = ANY($2::text[]) "
        "AND ($1::text[] IS NULL OR category_id = ANY($1::text[])) ORDER BY sold DESC, id LIMIT $3",
        category_ids, exclude, limit)
    return [r["id"] for r in rows]


async def leave_footprint(conn: Conn, user_id: str, product_id: str, at: datetime, keep: int) -> None:
    """Newest first, one row per product; only the newest `keep` are kept: this one and the `keep - 1` newest of
    the others. One statement (its parts see the table as it was before it), so no transaction is needed."""
    await conn.execute(
        "WITH trimmed AS (DELETE FROM footprints WHERE user_id = $1 AND product_id IN ("
        "SELECT product_id FROM footprints WHERE user_id = $1 AND product_id <> $2 "
        "ORDER BY at DESC, product_id OFFSET $4 - 1)) "
        "INSERT INTO footprints (user_id, product_id, at) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, product_id) DO UPDATE SET at = EXCLUDED.at", user_id, product_id, at, keep)


async def footprints(conn: Conn, user_id: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT product_id, at FROM footprints WHERE user_id = $1 ORDER BY at DESC, product_id "
                            "LIMIT $2", user_id, limit)


async def clear_footprints(conn: Conn, user_id: str) -> None:
    await conn.execute("DELETE FROM footprints WHERE user_id = $1", user_id)
