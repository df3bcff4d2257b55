"""Writes to the catalogue that other services hear about: each writes its events in the caller's transaction.

The merchant API and the demo seed both go through here, so `sku.changed` and `store.changed` are never
forgotten: orders keeps its price copy, and marketing its store copy, from exactly these events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from services.catalog.domain import is_valid_ean13, search_keys
from services.catalog.store import catalogue as store
from shared.db import Tx
from shared.events.catalog import SkuChanged, StoreChanged
from shared.refusal import Refusal


@dataclass
class SkuDraft:
    specs: dict[str, str]
    price_fen: int
    stock: int = 0  # units on sale when the SKU is created; later changes go through adjust_stock
    barcode: str | None = None
    deposit_fen: int = 0
    sellable: bool = True
    weight_g: int | None = None  # shipping weight; freight by weight uses the merchant's default without it
    id: str = field(default_factory=lambda: f"sku_{uuid.uuid4().hex[:16]}")


@dataclass
class ProductDraft:
    merchant_id: str
    name: str
    category_id: str | None
    skus: list[SkuDraft]
    brand: str = ""
    description: str = ""
    image: str = ""
    active: bool = True
    store_ids: list[str] = field(default_factory=list)
    id: str = field(default_factory=lambda: f"prd_{uuid.uuid4().hex[:16]}")


async def save_merchant(tx: Tx, merchant_id: str, name: str) -> None:
    await store.upsert_merchant(tx.conn, merchant_id, name)


async def save_category(tx: Tx, category_id: str, name: str, parent_id: str | None = None,
                        position: int = 0) -> None:
    existing = await store.get_category(tx.conn, category_id)
    await store.upsert_category(tx.conn, category_id, name, parent_id, position)
    if existing is not None and existing["parent_id"] != parent_id:
        await announce_category_move(tx, category_id)


async def save_store(tx: Tx, store_id: str, merchant_id: str, name: str, address: str, lat: float,
                     lng: float, active: bool = True) -> asyncpg.Record:
    """Create or change a store; `store.changed` only when something changed."""
    await known_merchant(tx, merchant_id)
    existing = await store.get_store(tx.conn, store_id)
    if existing is not None and existing["merchant_id"] != merchant_id:
        raise Refusal("store_not_yours", "This store belongs to another merchant", 403)
    saved = await store.upsert_store(tx.conn, store_id, merchant_id, name, address, lat, lng, active)
    if saved is None:
        assert existing is not None
        return existing
    await tx.emit(StoreChanged(store_id=saved["id"], merchant_id=saved["merchant_id"], name=saved["name"],
                               address=saved["address"], lat=saved["lat"], lng=saved["lng"],
                               active=saved["active"]))
    return saved


async def save_product(tx: Tx, draft: ProductDraft) -> None:
    """Create or replace a product and its SKUs (stock of existing SKUs untouched); one sku.changed per SKU
    whose sellable state changed, each with a grown revision."""
    await known_merchant(tx, draft.merchant_id)
    old = await store.get_product(tx.conn, draft.id, for_update=True)
    if old is not None and old["merchant_id"] != draft.merchant_id:
        raise Refusal("product_not_yours", "This product belongs to another merchant", 403)
    category_name = await _category_name(tx, draft.category_id)
    store_ids = sorted(set(draft.store_ids))
    if store_ids and len(await store.merchant_store_ids(tx.conn, draft.merchant_id, store_ids)) != len(store_ids):
        raise Refusal("unknown_store", "A store is not one of this merchant's", 422)
    keys = search_keys(draft.name, draft.brand, category_name)
    await store.save_product(tx.conn, draft.id, draft.merchant_id, draft.category_id, draft.name, draft.brand,
                             draft.description, draft.image, draft.active, keys)
    await store.set_product_stores(tx.conn, draft.id, store_ids)
    changed: set[str] = set()
    if old is not None and _product_changed(old, draft):
        changed |= {r["id"] for r in await store.bump_product_skus(tx.conn, draft.id)}
    for sku in draft.skus:
        if await _save_sku(tx, draft.id, sku):
            changed.add(sku.id)
    await emit_sku_changes(tx, sorted(changed))


WORDS_BATCH = 500  # products a transaction of record_search_words handles (row locks held that long)


async def record_search_words(tx: Tx) -> int:
    """Record in search_words the words of a batch of products saved before their words were (migration
    0014_search_words_backfill); how many products the batch held (fewer than WORDS_BATCH: none left)."""
    rows = await store.products_behind_on_words(tx.conn, WORDS_BATCH)
    words: set[str] = set()
    for row in rows:
        words.update(search_keys(row["name"], row["brand"], row["category"]).words)
    await store.add_search_words(tx.conn, words)
    await store.words_recorded(tx.conn, [r["id"] for r in rows])
    return len(rows)


async def add_sku(tx: Tx, merchant_id: str, product_id: str, sku: SkuDraft) -> asyncpg.Record:
    await owned_product(tx, merchant_id, product_id)
    if await store.get_sku(tx.conn, sku.id) is not None:
        raise Refusal("sku_exists", "A SKU with this id exists")
    await _save_sku(tx, product_id, sku)
    await emit_sku_changes(tx, [sku.id])
    row = await store.get_sku(tx.conn, sku.id)
    assert row is not None
    return row


async def change_sku(tx: Tx, merchant_id: str, sku_id: str, *, price_fen: int | None = None,
                     deposit_fen: int | None = None, sellable: bool | None = None,
                     specs: dict[str, str] | None = None, weight_g: int | None = None) -> asyncpg.Record:
    current = await owned_sku(tx, merchant_id, sku_id)
    updated = await store.update_sku(tx.conn, sku_id, price_fen=price_fen, deposit_fen=deposit_fen,
                                     sellable=sellable, specs=specs, weight_g=weight_g)
    if updated is None:
        return current
    await emit_sku_changes(tx, [sku_id])
    return updated


async def adjust_stock(tx: Tx, merchant_id: str, sku_id: str, delta: int) -> asyncpg.Record:
    await owned_sku(tx, merchant_id, sku_id)
    row = await store.adjust_stock(tx.conn, sku_id, delta)
    if row is None:
        raise Refusal("stock_negative", "Not that many units are available to take away")
    return row


async def owned_product(tx: Tx, merchant_id: str, product_id: str) -> asyncpg.Record:
    product = await store.get_product(tx.conn, product_id, for_update=True)
    if product is None:
        raise Refusal("product_not_found", "No such product", 404)
    if product["merchant_id"] != merchant_id:
        raise Refusal("product_not_yours", "This product belongs to another merchant", 403)
    return product


async def owned_sku(tx: Tx, merchant_id: str, sku_id: str) -> asyncpg.Record:
    sku = await store.get_sku(tx.conn, sku_id)
    if sku is None:
        raise Refusal("sku_not_found", "No such SKU", 404)
    await owned_product(tx, merchant_id, sku["product_id"])
    return sku


async def emit_sku_changes(tx: Tx, sku_ids: list[str]) -> None:
    for row in await store.sku_event_rows(tx.conn, sku_ids):
        await tx.emit(SkuChanged(
            sku_id=row["sku_id"], product_id=row["product_id"], merchant_id=row["merchant_id"],
            category_id=row["category_id"], category_ancestors=row["category_ancestors"], name=row["name"],
            specs=row["specs"], price_fen=row["price_fen"], deposit_fen=row["deposit_fen"], sellable=row["sellable"],
            revision=row["revision"], weight_g=row["weight_g"]))


async def announce_category_move(tx: Tx, category_id: str) -> None:
    """A category moved under another parent: the SKUs in and below it announce their new ancestors."""
    await emit_sku_changes(tx, await store.bump_category_skus(tx.conn, category_id))


async def _save_sku(tx: Tx, product_id: str, sku: SkuDraft) -> bool:
    if sku.barcode is not None:
        if not is_valid_ean13(sku.barcode):
            raise Refusal("invalid_barcode", "Not a valid EAN-13 barcode", 422, field="barcode")
        owner = await store.barcode_owner(tx.conn, sku.barcode)
        if owner is not None and owner != sku.id:
            raise Refusal("barcode_taken", "Another SKU has this barcode")
    existing = await store.get_sku(tx.conn, sku.id)
    if existing is not None and existing["product_id"] != product_id:
        raise Refusal("sku_exists", "This SKU id belongs to another product")
    saved = await store.upsert_sku(tx.conn, sku.id, product_id, sku.specs, sku.price_fen, sku.deposit_fen,
                                   sku.barcode, sku.sellable, sku.stock, sku.weight_g)
    return saved is not None


async def known_merchant(tx: Tx, merchant_id: str) -> None:
    """The one check before a merchant's write stores a row that names it (stores, products, home items, blocked
    terms): a merchant catalog has no row for (no profile yet, or not approved) gets 404 merchant_not_found
    rather than the database's foreign-key error (a 500)."""
    if not await store.merchant_exists(tx.conn, merchant_id):
        raise Refusal("merchant_not_found", "No such merchant; create its profile first", 404)


async def _category_name(tx: Tx, category_id: str | None) -> str:
    if category_id is None:
        return ""
    category = await store.get_category(tx.conn, category_id)
    if category is None:
        raise Refusal("unknown_category", "No such category", 422, field="category_id")
    return str(category["name"])


def _product_changed(old: asyncpg.Record, draft: ProductDraft) -> bool:
    """What sku.changed carries from the product: its name, category and whether it is on sale."""
    return (old["name"], old["category_id"], old["active"]) != (draft.name, draft.category_id, draft.active)
