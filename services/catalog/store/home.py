"""Home content: banners and featured collections of a merchant or of the mall (merchant_id None)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.catalog.store import Conn

FIELDS = ("kind", "title", "image", "target_kind", "target", "product_ids", "position", "starts_at", "ends_at")


async def save_item(conn: asyncpg.Connection, item_id: str, merchant_id: str | None,
                    values: dict[str, Any]) -> asyncpg.Record | None:
    """Create or replace an item of this owner (None: another owner's id, which is left alone)."""
    return await conn.fetchrow(
        f"INSERT INTO home_items (id, merchant_id, {', '.join(FIELDS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11) ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{f} = EXCLUDED.{f}" for f in FIELDS)
        + " WHERE home_items.merchant_id IS NOT DISTINCT FROM EXCLUDED.merchant_id RETURNING *",
        item_id, merchant_id, *(values[f] for f in FIELDS))


async def items_of(conn: Conn, merchant_id: str | None) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM home_items WHERE merchant_id IS NOT DISTINCT FROM $1 "
                            "ORDER BY kind, position, starts_at, id", merchant_id)


async def live_items(conn: Conn, merchant_id: str | None, now: datetime) -> list[asyncpg.Record]:
    """What shows now: started, not ended, first by position."""
    return await conn.fetch(
        "SELECT * FROM home_items WHERE merchant_id IS NOT DISTINCT FROM $1 AND starts_at <= $2 "
        "AND (ends_at IS NULL OR ends_at > $2) ORDER BY kind, position, starts_at DESC, id LIMIT 50", merchant_id, now)


async def delete_item(conn: Conn, merchant_id: str | None, item_id: str) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM home_items WHERE id = $1 AND merchant_id IS NOT DISTINCT FROM $2 RETURNING true",
        item_id, merchant_id))


async def products_of(conn: Conn, product_ids: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, merchant_id FROM products WHERE id = ANY($1::text[])", product_ids)
