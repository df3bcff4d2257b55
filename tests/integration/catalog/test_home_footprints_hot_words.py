"""Home content, footprints and hot words on the real catalog."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.catalog.app import create_app
from services.catalog.flows import catalogue as commands
from services.catalog.flows.catalogue import ProductDraft, SkuDraft
from services.catalog.settings import CatalogSettings
from shared.service import DB
from tests.integration.catalog.conftest import MERCHANT, Catalog

STAFF = {"X-Merchant-Id": MERCHANT}


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def create(catalog: Catalog, body: dict[str, Any], path: str = "/merchant/home-items",
                 headers: dict[str, str] = STAFF) -> Any:
    return await catalog.client.post(path, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})


async def test_scheduled_banners_and_collections_show_only_while_live(catalog: Catalog):
    cup, _ = await catalog.product("杯子")
    pot, _ = await catalog.product("茶壶")
    theirs, _ = await catalog.product("别家的", merchant_id="mch_t2")
    live = await create(catalog, {"kind": "banner", "title": "春季上新", "target_kind": "product", "target": cup,
                                  "starts_at": at(-1), "ends_at": at(24)})
    assert live.status == 201, await live.text()
    await create(catalog, {"kind": "banner", "title": "明天开始", "target_kind": "page",
                           "target": "/pages/store/index?merchant_id=mch_t1", "starts_at": at(24)})
    await create(catalog, {"kind": "banner", "title": "已结束", "target_kind": "category", "target": "cat_food",
                           "starts_at": at(-48), "ends_at": at(-24)})
    await create(catalog, {"kind": "collection", "title": "茶具", "product_ids": [pot, cup], "starts_at": at(-1)})
    mall = await create(catalog, {"kind": "banner", "title": "全场活动", "target_kind": "campaign",
                                  "target": "cmp_1", "starts_at": at(-1)}, "/platform/home-items", {})
    assert mall.status == 201

    shop = await (await catalog.client.get("/home-content", params={"merchant_id": MERCHANT})).json()
    assert [b["title"] for b in shop["banners"]] == ["春季上新"]
    assert [[p["id"] for p in c["products"]] for c in shop["collections"]] == [[pot, cup]]
    home = await (await catalog.client.get("/home-content")).json()
    assert [b["title"] for b in home["banners"]] == ["全场活动"] and home["collections"] == []

    refusals = [({"kind": "banner", "title": "x", "starts_at": at(0)}, "target_invalid"),
                ({"kind": "banner", "title": "x", "target_kind": "page", "target": "https://evil.example",
                  "starts_at": at(0)}, "target_invalid"),
                ({"kind": "banner", "title": "x", "target_kind": "product", "target": theirs, "starts_at": at(0)},
                 "unknown_product"),
                ({"kind": "collection", "title": "x", "product_ids": [], "starts_at": at(0)}, "collection_empty"),
                ({"kind": "banner", "title": "x", "target_kind": "category", "target": "cat_food",
                  "starts_at": at(1), "ends_at": at(0)}, "schedule_invalid")]
    for body, code in refusals:
        resp = await create(catalog, body)
        assert (resp.status, (await resp.json())["code"]) == (422, code), body
    item_id = (await live.json())["id"]
    other = await catalog.client.delete(f"/merchant/home-items/{item_id}", headers={"X-Merchant-Id": "mch_t2"})
    assert other.status == 404
    assert (await catalog.client.delete(f"/merchant/home-items/{item_id}", headers=STAFF)).status == 204


async def test_footprints_are_recent_views_and_clearable(catalog: Catalog):
    first, _ = await catalog.product("第一个")
    second, _ = await catalog.product("第二个")
    me = {"X-User-Id": "u_foot"}
    for product_id in (first, second, first):
        assert (await catalog.client.get(f"/products/{product_id}", headers=me)).status == 200
    await catalog.client.get(f"/products/{second}")  # anonymous: no footprint
    found = await (await catalog.client.get("/me/footprints", headers=me)).json()
    assert [f["id"] for f in found["items"]] == [first, second]
    other = await (await catalog.client.get("/me/footprints", headers={"X-User-Id": "u_other"})).json()
    assert other["items"] == []
    assert (await catalog.client.delete("/me/footprints", headers=me)).status == 204
    assert (await (await catalog.client.get("/me/footprints", headers=me)).json())["items"] == []


async def test_footprints_keep_only_the_newest_views(settings_for, start_app):
    app = create_app(settings_for(CatalogSettings, footprints_size=2))
    client = await start_app(app)
    async with app[DB].transaction() as tx:
        await commands.save_merchant(tx, "m", "店")
        for name in ("一", "二", "三"):
            await commands.save_product(tx, ProductDraft(merchant_id="m", name=name, category_id=None,
                                                         skus=[SkuDraft(specs={}, price_fen=100)]))
    by_name = {r["name"]: r["id"] for r in await app[DB].fetch("SELECT id, name FROM products")}
    first, second, third = by_name["一"], by_name["二"], by_name["三"]
    me = {"X-User-Id": "u_few"}
    for product_id in (first, second, third, first):  # the first seen again comes back on top
        assert (await client.get(f"/products/{product_id}", headers=me)).status == 200
    found = await (await client.get("/me/footprints", headers=me)).json()
    assert [f["id"] for f in found["items"]] == [first, third]


async def test_hot_words_need_many_buyers_skip_blocked_terms_and_cap_each_buyer(settings_for, start_app):
    app = create_app(settings_for(CatalogSettings, hot_word_min_buyers=3, popular_queries_per_buyer_day=2))
    client = await start_app(app)
    async with app[DB].transaction() as tx:
        await commands.save_merchant(tx, "m", "店")
        for name in ("电饭煲", "电水壶", "电风扇", "加微信电饭煲"):
            await commands.save_product(tx, ProductDraft(merchant_id="m", name=name, category_id=None,
                                                         skus=[SkuDraft(specs={}, price_fen=100)]))

    async def search(q: str, user: str) -> None:
        assert (await client.get("/search", params={"q": q}, headers={"X-User-Id": user})).status == 200

    async def hot() -> list[dict[str, Any]]:
        return (await (await client.get("/search/hot")).json())["items"]

    for user in ("a", "b"):
        await search("电饭煲", user)
    for _ in range(20):
        await search("电水壶", "spammer")  # one buyer, however often: one
    assert await hot() == []
    await search("电饭煲", "c")  # the third distinct buyer
    assert await hot() == [{"q": "电饭煲", "curated": False}]

    # The cap: "d" has pushed two new queries today; a third counts for nothing.
    for q in ("电水壶", "电饭煲", "电风扇"):
        await search(q, "d")
    for user in ("e", "f"):
        await search("电风扇", user)
    assert "电风扇" not in [w["q"] for w in await hot()]

    for user in ("a", "b", "c"):
        await search("加微信电饭煲", user)
    assert "加微信电饭煲" in [w["q"] for w in await hot()]
    async with app[DB].transaction() as tx:
        await tx.conn.execute("INSERT INTO blocked_terms (id, merchant_id, term) VALUES ('bt_1', NULL, '加微信')")
    assert "加微信电饭煲" not in [w["q"] for w in await hot()]

    put = await client.put("/platform/hot-words", json={"words": ["年货节", " 电饭煲 "]})
    assert (await put.json())["words"] == ["年货节", "电饭煲"]
    words = await hot()
    assert words[:2] == [{"q": "年货节", "curated": True}, {"q": "电饭煲", "curated": True}]
    assert [w["q"] for w in words].count("电饭煲") == 1


async def test_a_merchant_catalog_does_not_know_gets_merchant_not_found_for_every_write(catalog: Catalog):
    """Not a 500 (the database's foreign-key error) and nothing written: home items, stores, products and
    blocked terms all name the merchant."""
    stranger = {"X-Merchant-Id": "mch_unknown"}
    writes = [
        ("POST", "/merchant/home-items", {"kind": "banner", "title": "春季上新", "target_kind": "page",
                                          "target": "/pages/index/index", "starts_at": at(-1)}),
        ("PUT", "/merchant/home-items/home_1", {"kind": "banner", "title": "春季上新", "target_kind": "page",
                                                "target": "/pages/index/index", "starts_at": at(-1)}),
        ("PUT", "/merchant/stores/st_1", {"name": "门店", "address": "路 1 号", "lat": 30.0, "lng": 120.0}),
        ("POST", "/merchant/products", {"name": "杯子", "skus": [{"specs": {}, "price_fen": 100}]}),
        ("POST", "/merchant/blocked-terms", {"term": "山寨"}),
    ]
    for method, path, body in writes:
        resp = await catalog.client.request(method, path, json=body,
                                            headers={**stranger, "Idempotency-Key": uuid.uuid4().hex})
        assert (resp.status, (await resp.json())["code"]) == (404, "merchant_not_found"), path
    assert (await (await catalog.client.get("/merchant/home-items", headers=stranger)).json())["items"] == []
