"""Relevance cannot regress for speed: on a small generated catalogue (seeds/catalog_scale.py: names sharing
brands, nouns and attributes with the products sought), each labelled query finds its product in the top 3."""

from __future__ import annotations

from seeds.catalog_scale import QUERIES, anchor_id, seed_scale
from tests.integration.catalog.conftest import Catalog

PRODUCTS = 2000


async def test_labelled_queries_find_their_product_in_the_top_3(catalog: Catalog) -> None:
    assert len(QUERIES) >= 50
    async with catalog.db.pool.acquire() as conn:
        await seed_scale(conn, PRODUCTS)
    misses = []
    for q, name in QUERIES:
        resp = await catalog.client.get("/search", params={"q": q, "page_size": 3})
        assert resp.status == 200, await resp.text()
        top = [p["id"] for p in (await resp.json())["items"]]
        if anchor_id(name) not in top:
            misses.append((q, name, [p["name"] for p in (await resp.json())["items"]]))
    assert not misses, misses


async def test_the_scale_catalogue_has_three_skus_per_product_and_the_catalog_search_keys(catalog: Catalog) -> None:
    async with catalog.db.pool.acquire() as conn:
        await seed_scale(conn, 100)
        await seed_scale(conn, 100)  # running again replaces the rows
        assert await conn.fetchval("SELECT count(*) FROM products WHERE id LIKE 'p\\_scale\\_%'") == 100
        assert await conn.fetchval("SELECT count(*) FROM skus WHERE product_id LIKE 'p\\_scale\\_%'") == 300
        row = await conn.fetchrow("SELECT search_text, pinyin, initials FROM products WHERE name = $1",
                                  "美的 电饭煲 4L 智能预约")
    assert row is not None and row["initials"].startswith("mddfb") and "dianfanbao" in row["pinyin"]
