"""Search the way Chinese shoppers type: hanzi, typos, full pinyin, initials, brands; plus history and suggest."""

from __future__ import annotations

import pytest

from shared.events.orders import OrderPaid
from tests.integration.catalog.conftest import MERCHANT, Catalog, placed, publish
from tests.support import eventually

USER = {"X-User-Id": "u_search"}


@pytest.fixture
async def shop(catalog: Catalog) -> dict[str, str]:
    names = {
        "huawei": ("华为 Mate60 Pro 手机", "华为", "cat_phone", 50),
        "iphone": ("Apple iPhone 15 手机", "Apple", "cat_phone", 80),
        "xiaomi": ("小米14 智能手机", "小米", "cat_phone", 30),
        "case": ("透明手机壳", "", "cat_digital", 5),
        "cup": ("保温杯 500ml", "膳魔师", "cat_food", 10),
        "rice": ("电饭煲", "美的", "cat_food", 1),
        "percent": ("100%纯棉毛巾", "", "cat_food", 0),
    }
    ids = {}
    for key, (name, brand, category, sold) in names.items():
        ids[key], _ = await catalog.product(name, brand=brand, category_id=category, sold=sold)
    return ids


async def found(catalog: Catalog, q: str, user: str = "u_search", **params) -> list[str]:
    resp = await catalog.client.get("/search", params={"q": q, **params}, headers={"X-User-Id": user})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["total"] >= len(body["items"])
    return [p["id"] for p in body["items"]]


async def test_exact_chinese_finds_the_product_first(catalog, shop):
    hits = await found(catalog, "保温杯")
    assert hits == [shop["cup"]]
    phones = await found(catalog, "手机")
    assert set(phones) >= {shop["huawei"], shop["iphone"], shop["xiaomi"], shop["case"]}
    assert shop["rice"] not in phones


async def test_typos_still_find(catalog, shop):
    assert (await found(catalog, "iphnoe"))[0] == shop["iphone"]
    assert shop["huawei"] in await found(catalog, "华为手几")
    assert shop["cup"] in await found(catalog, "保温被")  # homophone typo of 保温杯 (baowenbei)


async def test_a_misspelt_word_is_corrected_to_the_closest_word_of_the_catalogue(catalog, shop):
    words = {r["word"] for r in await catalog.db.fetch("SELECT word FROM search_words")}
    assert {"电饭煲", "dianfanbao", "iphone", "shouji"} <= words  # saving a product keeps its words
    assert (await found(catalog, "dianfnabao")) == [shop["rice"]]
    assert (await found(catalog, "iphone 15 shouij"))[0] == shop["iphone"]  # each word corrected on its own
    assert await found(catalog, "zzqqxxjj") == []  # nothing close: nothing found
    # a word with nothing close is left out: the other words still find their goods
    assert (await found(catalog, "iphone zzqqxxjj"))[0] == shop["iphone"]
    # no product holds both words: those holding one of them
    assert {shop["huawei"], shop["iphone"]} <= set(await found(catalog, "华为 iphone"))


async def test_full_pinyin_and_initials_find_hanzi(catalog, shop):
    phones = {shop["huawei"], shop["iphone"], shop["xiaomi"], shop["case"]}
    assert set(await found(catalog, "shouji")) >= phones
    assert set(await found(catalog, "sj")) >= phones
    assert (await found(catalog, "huawei"))[0] == shop["huawei"]
    assert (await found(catalog, "dfb")) == [shop["rice"]]
    assert shop["rice"] in await found(catalog, "dianfanbao")
    assert shop["cup"] in await found(catalog, "baowenbei")


async def test_several_words_match_in_any_order(catalog, shop):
    assert (await found(catalog, "huawei shouji"))[0] == shop["huawei"]
    assert (await found(catalog, "华为 手机"))[0] == shop["huawei"]
    assert (await found(catalog, "手机 apple"))[0] == shop["iphone"]
    assert shop["rice"] not in await found(catalog, "huawei shouji")


async def test_brand_finds_its_products(catalog, shop):
    assert (await found(catalog, "apple"))[0] == shop["iphone"]
    assert await found(catalog, "美的") == [shop["rice"]]


async def test_results_are_ranked_and_paginated(catalog, shop):
    first = await found(catalog, "手机", page_size=2)
    second = await found(catalog, "手机", page_size=2, page=2)
    assert len(first) == 2 and not set(first) & set(second)
    resp = await catalog.client.get("/search", params={"q": "手机", "page_size": 2})
    total = (await resp.json())["total"]
    assert total >= 4
    resp = await catalog.client.get("/search", params={"q": "手机", "page_size": 2, "page": 50})
    assert await resp.json() == {"items": [], "total": total, "total_exact": True}


async def test_sql_metacharacters_are_just_text(catalog, shop):
    for q in ["%", "_", "'; DROP TABLE products; --", "\\", "手机' OR '1'='1", "%手机%", "_%_"]:
        hits = await found(catalog, q)
        assert len(hits) < len(shop), q  # never "everything"
    assert await catalog.db.fetchval("SELECT count(*) FROM products") == len(shop)
    assert await found(catalog, "100%") == [shop["percent"]]  # a literal percent sign


async def test_bad_queries_are_422_not_500(catalog, shop):
    for params in ({}, {"q": ""}, {"q": "手机", "page": "0"}, {"q": "手机", "page_size": "x"}, {"q": "x" * 101},
                   {"q": "手机", "bogus": "1"}):
        resp = await catalog.client.get("/search", params=params)
        assert resp.status == 422, (params, await resp.text())
    resp = await catalog.client.get("/search", params={"q": "   "})
    assert resp.status == 422


async def test_history_is_newest_first_deduplicated_capped_and_clearable(catalog, shop):
    for q in ["手机", "保温杯", "手机", *[f"q{i}" for i in range(25)], "华为"]:
        await found(catalog, q)
    resp = await catalog.client.get("/search/history", headers=USER)
    items = [i["q"] for i in (await resp.json())["items"]]
    assert items[0] == "华为" and items[1] == "q24"
    assert len(items) == 20 and len(set(items)) == 20
    other = await catalog.client.get("/search/history", headers={"X-User-Id": "someone_else"})
    assert (await other.json())["items"] == []

    resp = await catalog.client.delete("/search/history", headers=USER)
    assert resp.status == 204
    resp = await catalog.client.get("/search/history", headers=USER)
    assert (await resp.json())["items"] == []
    assert (await catalog.client.get("/search/history")).status == 401


async def test_suggestions_from_names_and_popular_queries(catalog, shop):
    for buyer in ("b1", "b2", "b3"):  # a query is suggested once several buyers searched it
        await found(catalog, "华为 mate60", user=buyer)
    resp = await catalog.client.get("/search/suggest", params={"q": "华为"})
    suggestions = (await resp.json())["suggestions"]
    assert suggestions[0] == "华为 mate60"
    assert "华为 Mate60 Pro 手机" in suggestions
    resp = await catalog.client.get("/search/suggest", params={"q": "dfb"})
    assert (await resp.json())["suggestions"] == ["电饭煲"]
    resp = await catalog.client.get("/search/suggest", params={"q": "bao"})
    assert "保温杯 500ml" in (await resp.json())["suggestions"]
    for q in ("b", "\ud7ff", "\U0010ffff", "%", "_"):  # the last character of a prefix is the range's edge
        resp = await catalog.client.get("/search/suggest", params={"q": q})
        assert resp.status == 200, (q, await resp.text())


async def test_names_are_suggested_from_two_characters(catalog, shop):
    resp = await catalog.client.get("/search/suggest", params={"q": "b"})  # would start too many names to rank
    assert (await resp.json())["suggestions"] == []
    resp = await catalog.client.get("/search/suggest", params={"q": "ba"})
    assert "保温杯 500ml" in (await resp.json())["suggestions"]


async def test_search_follows_renames_taking_off_sale_and_sales(catalog, orders_bus):
    """Search reads its own copy of the products (product_search): every way a product changes reaches it
    in the same transaction."""
    staff = {"X-Merchant-Id": MERCHANT}
    kettle, _ = await catalog.product("不锈钢电水壶", sold=5)
    pot, pot_sku = await catalog.product("玻璃电水壶", sold=1, stock=20)
    assert await found(catalog, "电水壶") == [kettle, pot]  # best seller first
    assert await found(catalog, "dianshuihu") == [kettle, pot]

    # Paid orders raise the glass pot's sales above the kettle's: it now ranks first.
    orders = [placed(pot_sku, qty=5) for _ in range(2)]
    for order in orders:
        await publish(orders_bus, order)
        await eventually(lambda o=order: catalog.db.fetchval(
            "SELECT true FROM reservations WHERE order_id = $1", o.order_id), timeout=30)
        await publish(orders_bus, OrderPaid(order_id=order.order_id, user_id=order.user_id, merchant_id=MERCHANT,
                                            payable_fen=5000, method="alipay"))
    await eventually(lambda: catalog.db.fetchval("SELECT sold >= 10 OR NULL FROM products WHERE id = $1", pot),
                     timeout=30)
    assert await found(catalog, "电水壶") == [pot, kettle]

    # Renamed keeping the word, the kettle's words are written again: still behind the pot on a page of one (a
    # word's hits are read for units sold from the best sales tier down, migration 0017: the pot's tier moved).
    resp = await catalog.client.get(f"/merchant/products/{kettle}", headers=staff)
    body = await resp.json()
    draft = {"name": "不锈钢电水壶 1.5L", "skus": [{"id": s["id"], "price_fen": s["price_fen"]} for s in body["skus"]]}
    resp = await catalog.client.put(f"/merchant/products/{kettle}", json=draft, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "电水壶", page_size=1) == [pot]

    # Renamed: found by its new name (text, pinyin, initials), no more by the old one.
    draft = {**draft, "name": "不锈钢保温壶"}
    resp = await catalog.client.put(f"/merchant/products/{kettle}", json=draft, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "电水壶") == [pot]
    assert await found(catalog, "保温壶") == await found(catalog, "baowenhu") == await found(catalog, "bxgbwh") \
        == [kettle]

    # Taken off sale: not found; back on sale: found again.
    resp = await catalog.client.put(f"/merchant/products/{kettle}", json={**draft, "active": False}, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "保温壶") == []
    resp = await catalog.client.put(f"/merchant/products/{kettle}", json={**draft, "active": True}, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await found(catalog, "保温壶") == [kettle]
