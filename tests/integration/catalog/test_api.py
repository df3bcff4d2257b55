"""Browse, scan, favourites, nearby stores, and the merchant API with the events it publishes."""

from __future__ import annotations

from services.catalog.domain import make_ean13
from services.catalog.flows import catalogue as commands
from tests.integration.catalog.conftest import MERCHANT, Catalog

STAFF = {"X-Merchant-Id": MERCHANT}
USER = {"X-User-Id": "u_fav"}

# (id, name, lat, lng): Hangzhou; from West Lake (30.2590, 120.1480) the order is 01, 02, 03; 04 is in Shanghai.
STORES = [("s03", "滨江店", 30.2084, 120.2106), ("s01", "湖滨店", 30.2592, 120.1630),
          ("s02", "武林店", 30.2741, 120.1619), ("s04", "上海店", 31.2304, 121.4737)]


async def test_barcode_lookup_checks_the_check_digit(catalog: Catalog):
    code = make_ean13("690123456789")
    product_id, sku_id = await catalog.product("农夫山泉 550ml", barcode=code)
    resp = await catalog.client.get(f"/barcodes/{code}")
    assert resp.status == 200
    body = await resp.json()
    assert body["sku_id"] == sku_id and body["product"]["id"] == product_id
    assert body["product"]["skus"][0]["barcode"] == code

    wrong_check = code[:12] + str((int(code[12]) + 1) % 10)
    for bad in (wrong_check, "12345", "69012345678x2", "%25"):
        resp = await catalog.client.get(f"/barcodes/{bad}")
        assert resp.status == 422 and (await resp.json())["code"] == "invalid_barcode", bad
    resp = await catalog.client.get(f"/barcodes/{make_ean13('690000000001')}")
    assert resp.status == 404 and (await resp.json())["code"] == "barcode_not_found"

    # A merchant cannot save a SKU with a code that fails the check digit.
    resp = await catalog.client.post("/merchant/products", headers={**STAFF, "Idempotency-Key": "k-bad-ean"},
                                     json={"name": "坏条码", "skus": [{"price_fen": 100, "barcode": wrong_check}]})
    assert resp.status == 422 and (await resp.json())["code"] == "invalid_barcode"


async def test_nearby_stores_sorted_by_distance_within_radius(catalog: Catalog):
    async with catalog.db.transaction() as tx:
        for store_id, name, lat, lng in STORES:
            await commands.save_store(tx, store_id, MERCHANT, name, f"{name}地址", lat, lng)
    resp = await catalog.client.get("/stores/nearby", params={"lat": "30.2590", "lng": "120.1480",
                                                              "radius_m": "20000"})
    items = (await resp.json())["items"]
    assert [s["id"] for s in items] == ["s01", "s02", "s03"]
    distances = [s["distance_m"] for s in items]
    assert distances == sorted(distances) and 1_300 < distances[0] < 1_500
    resp = await catalog.client.get("/stores/nearby", params={"lat": "30.2590", "lng": "120.1480",
                                                              "radius_m": "2000"})
    assert [s["id"] for s in (await resp.json())["items"]] == ["s01"]
    for params in ({"lat": "91", "lng": "120"}, {"lat": "x", "lng": "1"}, {"lng": "120"},
                   {"lat": "30", "lng": "120", "radius_m": "-1"}):
        assert (await catalog.client.get("/stores/nearby", params=params)).status == 422
    # store.changed for each store, so marketing can keep its copy
    assert sorted(e["store_id"] for e in await catalog.events("store.changed")) == ["s01", "s02", "s03", "s04"]


async def test_favourites_of_products_and_stores(catalog: Catalog):
    async with catalog.db.transaction() as tx:
        await commands.save_store(tx, "s01", MERCHANT, "湖滨店", "湖滨路1号", 30.2592, 120.1630)
    first, _ = await catalog.product("龙井茶", price_fen=8800)
    second, _ = await catalog.product("丝绸围巾", price_fen=19900)
    for path in (f"/favorites/products/{first}", f"/favorites/products/{second}", "/favorites/stores/s01",
                 f"/favorites/products/{first}"):
        assert (await catalog.client.put(path, headers=USER)).status == 204
    body = await (await catalog.client.get("/favorites", headers=USER)).json()
    assert {p["id"] for p in body["products"]} == {first, second}
    assert body["products"][0].keys() == {"id", "name", "price_fen", "image", "sold"}
    assert [s["id"] for s in body["stores"]] == ["s01"]

    assert (await catalog.client.delete(f"/favorites/products/{first}", headers=USER)).status == 204
    body = await (await catalog.client.get("/favorites", headers=USER)).json()
    assert [p["id"] for p in body["products"]] == [second]
    assert (await catalog.client.put("/favorites/products/nope", headers=USER)).status == 404
    assert (await catalog.client.get("/favorites")).status == 401


async def test_browse_categories_and_product_detail(catalog: Catalog):
    phone, sku = await catalog.product("华为手机", category_id="cat_phone", price_fen=399_900, stock=7)
    await catalog.product("苹果", category_id="cat_food")
    tree = (await (await catalog.client.get("/categories")).json())["items"]
    digital = next(c for c in tree if c["id"] == "cat_digital")
    assert [c["id"] for c in digital["children"]] == ["cat_phone"]

    body = await (await catalog.client.get("/categories/cat_digital/products")).json()  # includes sub-categories
    assert body["total"] == 1 and body["items"][0] == {"id": phone, "name": "华为手机", "price_fen": 399_900,
                                                       "image": "", "sold": 0}
    assert (await catalog.client.get("/categories/nope/products")).status == 404

    detail = await (await catalog.client.get(f"/products/{phone}")).json()
    assert detail["merchant_id"] == MERCHANT and detail["store_ids"] == []
    assert detail["skus"] == [{"id": sku, "specs": {"规格": "标准"}, "price_fen": 399_900, "available": 7,
                               "barcode": None, "deposit_fen": 0, "sellable": True}]
    assert (await catalog.client.get("/products/nope")).status == 404


async def test_merchant_manages_own_products_and_every_change_is_published(catalog: Catalog):
    body = {"name": "租赁相机", "category_id": "cat_digital", "brand": "佳能",
            "skus": [{"specs": {"租期": "7天"}, "price_fen": 9900, "deposit_fen": 300_000, "stock": 3,
                      "barcode": make_ean13("690000000123")}]}
    headers = {**STAFF, "Idempotency-Key": "k1"}
    resp = await catalog.client.post("/merchant/products", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    again = await catalog.client.post("/merchant/products", json=body, headers=headers)
    assert (again.status, (await again.json())["id"]) == (201, created["id"])
    assert await catalog.db.fetchval("SELECT count(*) FROM products") == 1
    sku_id = created["skus"][0]["id"]

    resp = await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"price_fen": 8900}, headers=STAFF)
    assert (await resp.json())["price_fen"] == 8900
    resp = await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"sellable": False}, headers=STAFF)
    assert (await resp.json())["sellable"] is False
    changes = [(e["price_fen"], e["sellable"], e["revision"], e["deposit_fen"]) for e in
               await catalog.events("sku.changed")]
    assert changes == [(9900, True, 1, 300_000), (8900, True, 2, 300_000), (8900, False, 3, 300_000)]

    # renaming the product changes what its SKUs are sold as: a new revision for each, stock untouched
    renamed = {**body, "name": "佳能相机租赁", "skus": [{**body["skus"][0], "id": sku_id, "price_fen": 8900,
                                                       "sellable": False, "stock": 999}]}
    resp = await catalog.client.put(f"/merchant/products/{created['id']}", json=renamed, headers=STAFF)
    assert resp.status == 200, await resp.text()
    last = (await catalog.events("sku.changed"))[-1]
    assert (last["name"], last["revision"]) == ("佳能相机租赁", 4)
    assert (await resp.json())["skus"][0]["available"] == 3

    # another merchant can neither see nor change it
    other = {"X-Merchant-Id": "mch_t2"}
    assert (await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"price_fen": 1}, headers=other)).status == 403
    assert (await catalog.client.get(f"/merchant/products/{created['id']}", headers=other)).status == 403
    assert (await catalog.client.patch(f"/merchant/skus/{sku_id}", json={"price_fen": 1})).status == 403

    resp = await catalog.client.post(f"/merchant/skus/{sku_id}/stock", json={"delta": 5},
                                     headers={**STAFF, "Idempotency-Key": "s1"})
    assert (await resp.json())["available"] == 8
    resp = await catalog.client.post(f"/merchant/skus/{sku_id}/stock", json={"delta": 5},
                                     headers={**STAFF, "Idempotency-Key": "s1"})
    assert (await resp.json())["available"] == 8  # the retry did not add twice
    resp = await catalog.client.post(f"/merchant/skus/{sku_id}/stock", json={"delta": -9},
                                     headers={**STAFF, "Idempotency-Key": "s2"})
    assert resp.status == 409 and (await resp.json())["code"] == "stock_negative"


async def test_merchant_bad_input_is_refused_with_codes(catalog: Catalog):
    headers = {**STAFF, "Idempotency-Key": "k-bad"}
    for body in ({"name": "x", "skus": []}, {"name": "x", "skus": [{"price_fen": -1}]},
                 {"name": "x", "skus": [{"price_fen": 1}], "extra": 1}, {"name": "x", "skus": [{"price_fen": 1.5}]}):
        resp = await catalog.client.post("/merchant/products", json=body, headers=headers)
        assert resp.status == 422, body
    resp = await catalog.client.post("/merchant/products", data=b"{not json",
                                     headers={**headers, "Content-Type": "application/json"})
    assert resp.status == 400
    resp = await catalog.client.post("/merchant/products", json={"name": "x", "skus": [{"price_fen": 1}]},
                                     headers=STAFF)
    assert (await resp.json())["code"] == "idempotency_key_missing"
    resp = await catalog.client.post("/merchant/products", headers=headers,
                                     json={"name": "x", "category_id": "nope", "skus": [{"price_fen": 1}]})
    assert resp.status == 422 and (await resp.json())["code"] == "unknown_category"


async def test_sku_changed_names_the_categorys_ancestors_and_a_move_announces_them_again(catalog: Catalog):
    # orders prices a parent category's member price on the SKUs below it by these
    _, phone_sku = await catalog.product("手机壳", category_id="cat_phone")
    _, food_sku = await catalog.product("饼干", category_id="cat_food")
    first = [e for e in await catalog.events("sku.changed") if e["sku_id"] == phone_sku]
    assert first[-1]["category_ancestors"] == ["cat_digital"]

    resp = await catalog.client.post("/platform/categories", json={"name": "电子产品"})
    top = (await resp.json())["id"]
    resp = await catalog.client.patch("/platform/categories/cat_digital", json={"parent_id": top})
    assert resp.status == 200
    moved = [e for e in await catalog.events("sku.changed") if e["sku_id"] == phone_sku][-1]
    assert moved["category_ancestors"] == ["cat_digital", top] and moved["revision"] > first[-1]["revision"]
    assert len([e for e in await catalog.events("sku.changed") if e["sku_id"] == food_sku]) == 1  # not moved
