"""Products saved before search_words knew their words get them from catalog itself, with no operator step; and a
search keeps only products with a sellable SKU, as their SKUs change."""

from __future__ import annotations

import asyncio

from services.catalog.app import create_app
from services.catalog.deps import deps_of
from services.catalog.domain import search_keys
from services.catalog.flows.catalogue import WORDS_BATCH
from services.catalog.jobs import record_search_words
from services.catalog.settings import CatalogSettings
from tests.integration.catalog.conftest import MERCHANT, Catalog


async def insert_the_old_way(catalog: Catalog, products: list[tuple[str, str]]) -> None:
    """(id, name) products as catalog wrote them before migration 0012: search keys, no words, one SKU."""
    rows = []
    for product_id, name in products:
        keys = search_keys(name)
        rows.append((product_id, MERCHANT, name, keys.search_text, keys.pinyin, keys.initials))
    async with catalog.db.transaction() as tx:
        await tx.conn.executemany(
            "INSERT INTO products (id, merchant_id, name, search_text, pinyin, initials, has_sellable_sku) "
            "VALUES ($1, $2, $3, $4, $5, $6, true)", rows)
        await tx.conn.executemany("INSERT INTO skus (id, product_id, price_fen, available) VALUES ($1, $2, 990, 5)",
                                  [(f"sku_{r[0]}", r[0]) for r in rows])


async def found(catalog: Catalog, q: str) -> list[str]:
    resp = await catalog.client.get("/search", params={"q": q})
    assert resp.status == 200, await resp.text()
    return [p["id"] for p in (await resp.json())["items"]]


async def test_a_starting_catalog_records_the_words_of_products_saved_before(catalog, settings_for, start_app):
    await insert_the_old_way(catalog, [("p_old_fryer", "空气炸锅")])
    assert await found(catalog, "kongqizaguo") == []  # the typo's word (kongqizhaguo) is not known yet

    await start_app(create_app(settings_for(CatalogSettings)))  # a replica starts (or this one restarts)
    for _ in range(200):
        if await catalog.db.fetchval("SELECT true FROM search_words WHERE word = 'kongqizhaguo'"):
            break
        await asyncio.sleep(0.05)
    assert await found(catalog, "kongqizaguo") == ["p_old_fryer"]


async def test_replicas_share_the_batches_and_record_every_product_once(catalog):
    count = WORDS_BATCH + 20  # more than one batch
    await insert_the_old_way(catalog, [(f"p_old_{n:04d}", f"保温杯{n}号") for n in range(count - 1)]
                             + [("p_old_kettle", "电热水壶")])
    deps = deps_of(catalog.client.app)
    await asyncio.gather(record_search_words(deps), record_search_words(deps))

    assert await catalog.db.fetchval("SELECT count(*) FROM products WHERE search_words_version = 0") == 0
    words = {r["word"] for r in await catalog.db.fetch("SELECT word FROM search_words")}
    assert {"dianreshuihu", "baowenbei0hao", f"baowenbei{count - 2}hao"} <= words
    assert await found(catalog, "dianreshuhu") == ["p_old_kettle"]
    await record_search_words(deps)  # nothing left: a later round changes nothing


async def test_a_product_is_found_while_it_has_a_sellable_sku(catalog):
    product_id, sku_id = await catalog.product("电热水壶")
    staff = {"X-Merchant-Id": MERCHANT}
    assert await found(catalog, "电热水壶") == [product_id]

    resp = await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"sellable": False}, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "电热水壶") == []

    resp = await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"sellable": True}, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "电热水壶") == [product_id]
