"""Merchants, stores, categories, products and SKUs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from services.catalog.domain import SearchKeys, like_escape
from services.catalog.store import Conn

# --- merchants and stores -----------------------------------------------------------------------------


async def upsert_merchant(conn: asyncpg.Connection, merchant_id: str, name: str) -> None:
    await conn.execute(
        "INSERT INTO merchants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
        merchant_id, name)


async def merchant_exists(conn: Conn, merchant_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM merchants WHERE id = $1", merchant_id))


UPSERT_STORE = """
INSERT INTO stores AS s (id, merchant_id, name, address, lat, lng, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, lat = EXCLUDED.lat,
    lng = EXCLUDED.lng, active = EXCLUDED.active
  WHERE s.merchant_id = EXCLUDED.merchant_id
    AND (s.name, s.address, s.lat, s.lng, s.active)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.address, EXCLUDED.lat, EXCLUDED.lng, EXCLUDED.active)
RETURNING id, merchant_id, name, address, lat, lng, active
"""


async def upsert_store(conn: asyncpg.Connection, store_id: str, merchant_id: str, name: str, address: str,
                       lat: float, lng: float, active: bool = True) -> asyncpg.Record | None:
    """The store as saved, or None when nothing changed (or it belongs to another merchant)."""
    return await conn.fetchrow(UPSERT_STORE, store_id, merchant_id, name, address, lat, lng, active)


async def get_store(conn: Conn, store_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, merchant_id, name, address, lat, lng, active FROM stores WHERE id = $1", store_id)


async def merchant_stores(conn: Conn, merchant_id: str) -> list[asyncpg.Record]:
    """Every store of the merchant, closed ones too (the back office lists them all)."""
    return await conn.fetch("SELECT id, merchant_id, name, address, lat, lng, active FROM stores "
                            "WHERE merchant_id = $1 ORDER BY name, id", merchant_id)


async def merchant_store_ids(conn: Conn, merchant_id: str, store_ids: list[str]) -> list[str]:
    rows = await conn.fetch("SELECT id FROM stores WHERE merchant_id = $1 AND id = ANY($2::text[])",
                            merchant_id, store_ids)
    return [r["id"] for r in rows]


NEARBY = """
SELECT id, merchant_id, name, address, lat, lng,
       2 * 6371008.8 * asin(least(1, sqrt(
           power(sin(radians(lat - $1) / 2), 2)
           + cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lng - $2) / 2), 2)))) AS distance_m
FROM stores
WHERE active AND lat BETWEEN $3 AND $4 AND lng BETWEEN $5 AND $6
"""


async def nearby_stores(conn: Conn, lat: float, lng: float, radius_m: float,
                        box: tuple[float, float, float, float], limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT * FROM ({NEARBY}) s WHERE distance_m <= $7 ORDER BY distance_m, id LIMIT $8",
        lat, lng, *box, radius_m, limit)


# --- categories ---------------------------------------------------------------------------------------


async def upsert_category(conn: asyncpg.Connection, category_id: str, name: str, parent_id: str | None,
                          position: int = 0) -> None:
    await conn.execute(
        "INSERT INTO categories (id, parent_id, name, position) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, "
        "position = EXCLUDED.position", category_id, parent_id, name, position)


async def all_categories(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, parent_id, name FROM categories ORDER BY position, id")


async def get_category(conn: Conn, category_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, parent_id, name FROM categories WHERE id = $1", category_id)


# --- products -----------------------------------------------------------------------------------------

# A product as lists show it: its lowest sellable price; products with nothing to sell are left out.
CARD = """
SELECT p.id, p.name, p.image, p.sold, price.price_fen
FROM products p
JOIN LATERAL (SELECT min(s.price_fen) AS price_fen FROM skus s WHERE s.product_id = p.id AND s.sellable) price
  ON price.price_fen IS NOT NULL
"""

IN_CATEGORY = f"""
WITH RECURSIVE tree AS (
    SELECT id FROM categories WHERE id = $1
    UNION ALL SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT card.*, count(*) OVER () AS total FROM ({CARD} WHERE p.active AND p.category_id IN (SELECT id FROM tree)) card
ORDER BY card.sold DESC, card.id LIMIT $2 OFFSET $3
"""


async def products_in_category(conn: Conn, category_id: str, limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(IN_CATEGORY, category_id, limit, offset)


async def product_cards(conn: Conn, product_ids: list[str]) -> list[asyncpg.Record]:
    """Cards of the given products that can be bought, in no particular order."""
    return await conn.fetch(f"{CARD} WHERE p.active AND p.id = ANY($1::text[])", product_ids)


INSERT_PRODUCT = """
INSERT INTO products AS p (id, merchant_id, category_id, name, brand, description, image, active,
                           search_text, pinyin, initials, search_words_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (id) DO UPDATE SET category_id = EXCLUDED.category_id, name = EXCLUDED.name, brand = EXCLUDED.brand,
    description = EXCLUDED.description, image = EXCLUDED.image, active = EXCLUDED.active,
    search_text = EXCLUDED.search_text, pinyin = EXCLUDED.pinyin, initials = EXCLUDED.initials,
    search_words_version = EXCLUDED.search_words_version
  WHERE p.merchant_id = EXCLUDED.merchant_id
RETURNING id
"""


async def save_product(conn: asyncpg.Connection, product_id: str, merchant_id: str, category_id: str | None,
                       name: str, brand: str, description: str, image: str, active: bool,
                       keys: SearchKeys) -> bool:
    """Insert or update a product; False when the id belongs to another merchant."""
    saved = await conn.fetchval(INSERT_PRODUCT, product_id, merchant_id, category_id, name, brand, description,
                                image, active, keys.search_text, keys.pinyin, keys.initials, WORDS_VERSION)
    if saved is not None:
        await add_search_words(conn, keys.words)
    return saved is not None


# What domain.search_keys records in search_words; a product whose search_words_version is lower has words
# missing there (saved before migration 0012_search_words), which the job record_search_words adds. Raise it
# (and the partial index of migration 0014_search_words_backfill) when search_keys' words change.
WORDS_VERSION = 1


async def products_behind_on_words(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Up to `limit` products whose words are not all recorded, locked; rows another replica holds are skipped,
    so replicas share the work."""
    return await conn.fetch(
        "SELECT p.id, p.name, p.brand, coalesce(c.name, '') AS category FROM products p "
        "LEFT JOIN categories c ON c.id = p.category_id WHERE p.search_words_version < $1 "
        "ORDER BY p.id LIMIT $2 FOR UPDATE OF p SKIP LOCKED", WORDS_VERSION, limit)


async def words_recorded(conn: asyncpg.Connection, product_ids: list[str]) -> None:
    await conn.execute("UPDATE products SET search_words_version = $2 WHERE id = ANY($1::text[])",
                       product_ids, WORDS_VERSION)


async def add_search_words(conn: Conn, words: Iterable[str]) -> None:
    """The words a misspelt query may be corrected to (migration 0012_search_words). Sorted: two saves at once
    insert shared words in the same order, so neither waits for the other in a deadlock."""
    await conn.execute("INSERT INTO search_words (word) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                       sorted(set(words)))


async def set_product_stores(conn: asyncpg.Connection, product_id: str, store_ids: list[str]) -> None:
    await conn.execute("DELETE FROM product_stores WHERE product_id = $1 AND NOT store_id = ANY($2::text[])",
                       product_id, store_ids)
    await conn.execute("INSERT INTO product_stores (product_id, store_id) SELECT $1, unnest($2::text[]) "
                       "ON CONFLICT DO NOTHING", product_id, store_ids)


PRODUCT = """
SELECT p.id, p.merchant_id, p.category_id, p.name, p.brand, p.description, p.image, p.active, p.sold,
       coalesce((SELECT array_agg(store_id ORDER BY store_id) FROM product_stores WHERE product_id = p.id),
                '{}') AS store_ids
FROM products p WHERE p.id = $1
"""


async def get_product(conn: Conn, product_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(PRODUCT + (" FOR UPDATE" if for_update else ""), product_id)


MERCHANT_PRODUCTS = """
SELECT p.id, p.name, p.image, p.sold, p.active, p.category_id, coalesce(s.available, 0) AS available,
       count(*) OVER () AS total
FROM products p
LEFT JOIN LATERAL (SELECT sum(available)::bigint AS available FROM skus WHERE product_id = p.id) s ON true
WHERE p.merchant_id = $1
  AND ($2::text IS NULL OR p.name ILIKE $2 OR p.id ILIKE $2
       OR EXISTS (SELECT 1 FROM skus b WHERE b.product_id = p.id AND (b.barcode = $3 OR b.id = $3)))
  AND ($4::text IS NULL OR p.category_id = $4)
  AND ($5::boolean IS NULL OR p.active = $5)
  AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM skus l WHERE l.product_id = p.id AND l.sellable
                                                       AND l.available <= $6))
ORDER BY p.created_at DESC, p.id LIMIT $7 OFFSET $8
"""


async def merchant_products(conn: Conn, merchant_id: str, text: str | None, category_id: str | None,
                            active: bool | None, low_stock: int | None, limit: int,
                            offset: int) -> list[asyncpg.Record]:
    """A page of the merchant's products, newest first. `text`: part of the name or id, or a SKU's whole barcode
    or id; `low_stock`: only products with a SKU on sale whose available stock is at most this."""
    like = f"%{like_escape(text)}%" if text else None
    return await conn.fetch(MERCHANT_PRODUCTS, merchant_id, like, text, category_id, active, low_stock, limit,
                            offset)


# --- SKUs ---------------------------------------------------------------------------------------------

SKU_COLUMNS = ("id, product_id, specs, price_fen, deposit_fen, barcode, sellable, available, reserved, sold, revision, "
               "weight_g")


async def product_skus(conn: Conn, product_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {SKU_COLUMNS} FROM skus WHERE product_id = $1 ORDER BY id", product_id)


async def get_sku(conn: Conn, sku_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {SKU_COLUMNS} FROM skus WHERE id = $1", sku_id)


async def sku_by_barcode(conn: Conn, barcode: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {SKU_COLUMNS} FROM skus WHERE barcode = $1", barcode)


async def barcode_owner(conn: Conn, barcode: str) -> str | None:
    return await conn.fetchval("SELECT id FROM skus WHERE barcode = $1", barcode)


UPSERT_SKU = f"""
INSERT INTO skus AS s (id, product_id, specs, price_fen, deposit_fen, barcode, sellable, available, weight_g)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET specs = EXCLUDED.specs, price_fen = EXCLUDED.price_fen,
    deposit_fen = EXCLUDED.deposit_fen, barcode = EXCLUDED.barcode, sellable = EXCLUDED.sellable,
    weight_g = EXCLUDED.weight_g, revision = s.revision + 1
  WHERE s.product_id = EXCLUDED.product_id
    AND (s.specs, s.price_fen, s.deposit_fen, s.barcode, s.sellable, s.weight_g)
        IS DISTINCT FROM (EXCLUDED.specs, EXCLUDED.price_fen, EXCLUDED.deposit_fen, EXCLUDED.barcode, EXCLUDED.sellable,
                          EXCLUDED.weight_g)
RETURNING {SKU_COLUMNS}
"""


async def upsert_sku(conn: asyncpg.Connection, sku_id: str, product_id: str, specs: dict[str, str], price_fen: int,
                     deposit_fen: int, barcode: str | None, sellable: bool, initial_stock: int,
                     weight_g: int | None = None) -> asyncpg.Record | None:
    """Create a SKU (with its first stock) or change it; stock of an existing SKU is left alone.
    Returns the SKU when it was created or changed (its revision grown), None when nothing changed."""
    saved = await conn.fetchrow(UPSERT_SKU, sku_id, product_id, specs, price_fen, deposit_fen, barcode, sellable,
                                initial_stock, weight_g)
    if saved is not None:
        await refresh_has_sellable_sku(conn, product_id)
    return saved


UPDATE_SKU = f"""
UPDATE skus AS s SET price_fen = coalesce($2, price_fen), deposit_fen = coalesce($3, deposit_fen),
    sellable = coalesce($4, sellable), specs = coalesce($5, specs), weight_g = coalesce($6, weight_g),
    revision = revision + 1
WHERE id = $1 AND (coalesce($2, price_fen), coalesce($3, deposit_fen), coalesce($4, sellable), coalesce($5, specs),
                   coalesce($6, weight_g))
                  IS DISTINCT FROM (price_fen, deposit_fen, sellable, specs, weight_g)
RETURNING {SKU_COLUMNS}
"""


async def update_sku(conn: asyncpg.Connection, sku_id: str, *, price_fen: int | None, deposit_fen: int | None,
                     sellable: bool | None, specs: dict[str, str] | None, weight_g: int | None = None
                     ) -> asyncpg.Record | None:
    """Change what was given; None when nothing changed (so no event and no new revision)."""
    updated = await conn.fetchrow(UPDATE_SKU, sku_id, price_fen, deposit_fen, sellable, specs, weight_g)
    if updated is not None:
        await refresh_has_sellable_sku(conn, updated["product_id"])
    return updated


async def refresh_has_sellable_sku(conn: asyncpg.Connection, product_id: str) -> None:
    """products.has_sellable_sku (migration 0014_search_words_backfill), after a SKU write in the same
    transaction. Callers hold the product's row lock (flows.catalogue locks it before any SKU write), so two
    SKU writes of one product never compute it from each other's stale state."""
    await conn.execute(
        "UPDATE products p SET has_sellable_sku = f.value "
        "FROM (SELECT EXISTS (SELECT 1 FROM skus s WHERE s.product_id = $1 AND s.sellable) AS value) f "
        "WHERE p.id = $1 AND p.has_sellable_sku <> f.value", product_id)


async def bump_product_skus(conn: asyncpg.Connection, product_id: str) -> list[asyncpg.Record]:
    """A product change (name, category, on/off sale) changes what every SKU event says: new revisions."""
    return await conn.fetch(f"UPDATE skus SET revision = revision + 1 WHERE product_id = $1 RETURNING {SKU_COLUMNS}",
                            product_id)


async def bump_category_skus(conn: asyncpg.Connection, category_id: str) -> list[str]:
    """A category moved: every SKU in it or below it has new ancestors to announce, so new revisions."""
    rows = await conn.fetch(
        "WITH RECURSIVE below AS (SELECT id FROM categories WHERE id = $1 "
        "UNION ALL SELECT c.id FROM categories c JOIN below ON c.parent_id = below.id) "
        "UPDATE skus SET revision = revision + 1 WHERE product_id IN "
        "(SELECT id FROM products WHERE category_id IN (SELECT id FROM below)) RETURNING id", category_id)
    return [r["id"] for r in rows]


async def adjust_stock(conn: asyncpg.Connection, sku_id: str, delta: int) -> asyncpg.Record | None:
    """Add (or with a negative delta take away) available units; None if that would go below zero."""
    return await conn.fetchrow(
        f"UPDATE skus SET available = available + $2 WHERE id = $1 AND available + $2 >= 0 RETURNING {SKU_COLUMNS}",
        sku_id, delta)


SKU_EVENT = """
SELECT s.id AS sku_id, s.product_id, p.merchant_id, p.category_id, p.name, s.specs, s.price_fen, s.deposit_fen,
       (s.sellable AND p.active) AS sellable, s.revision, s.weight_g,
       ARRAY(WITH RECURSIVE up AS (
                 SELECT c.parent_id AS id, 1 AS depth FROM categories c WHERE c.id = p.category_id
                 UNION ALL SELECT c.parent_id, up.depth + 1 FROM categories c JOIN up ON c.id = up.id)
             SELECT id FROM up WHERE id IS NOT NULL ORDER BY depth) AS category_ancestors
FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = ANY($1::text[]) ORDER BY s.id
"""


async def sku_event_rows(conn: asyncpg.Connection, sku_ids: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SKU_EVENT, sku_ids)


def as_dict(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None
