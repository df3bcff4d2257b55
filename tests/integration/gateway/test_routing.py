"""Routing through the gateway to the real services (in-process, real PostgreSQL and RabbitMQ)."""

import uuid

import asyncpg

from tests.support import eventually

PRODUCT = {"name": "华为手机 Mate 60", "brand": "华为", "store_ids": [],
           "skus": [{"id": "sku_mate60", "specs": {"color": "黑"}, "price_fen": 599_900, "stock": 5,
                     "barcode": "6901234567892"}]}


async def create_product(mall, body=PRODUCT):
    resp = await mall.gateway.put("/api/merchant/profile", json={"name": "数码旗舰店"}, headers=mall.staff())
    assert resp.status == 200, await resp.text()
    resp = await mall.gateway.post("/api/merchant/products", json=body,
                                   headers={**mall.staff(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_staff_api_user_api_and_ownership_through_the_gateway(mall, database_url):
    product = await create_product(mall)
    gw, alice, bob = mall.gateway, mall.user("u_alice"), mall.user("u_bob")

    resp = await gw.get("/api/search", params={"q": "shouji"}, headers=alice)
    assert resp.status == 200, await resp.text()
    found = await resp.json()
    assert [p["id"] for p in found["items"]] == [product["id"]] and found["total"] == 1
    history = await (await gw.get("/api/search/history", headers=alice)).json()
    assert history["items"][0]["q"] == "shouji"

    resp = await gw.post("/api/scan", json={"code": "6901234567892"}, headers=alice)
    scanned = await resp.json()
    assert scanned["kind"] == "product" and scanned["target"]["product"]["id"] == product["id"]
    resp = await gw.get(f"/api/products/{product['id']}", headers=alice)
    assert (await resp.json())["skus"][0]["id"] == "sku_mate60"

    async def priced():
        resp = await gw.post("/api/checkout/preview", json={"items": [{"sku_id": "sku_mate60", "qty": 2}]},
                             headers=alice)
        return await resp.json() if resp.status == 200 else None

    preview = await eventually(priced, timeout=15)  # orders learns the price from sku.changed
    assert preview == {"subtotal_fen": 1_199_800, "discount_fen": 0, "points_fen": 0, "payable_fen": 1_199_800,
                       "usable_coupons": [], "freight_fen": 0, "freight_off_fen": 0, "delivery_options": [],
                       "member_saving_fen": 0, "flash_saving_fen": 0}

    request_id = f"req-{uuid.uuid4().hex}"
    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 2}], "entry": "search"},
                         headers={**alice, "Idempotency-Key": "order-1", "X-Request-Id": request_id})
    assert resp.status == 201, await resp.text()
    placed = await resp.json()
    assert placed["status"] == "AWAITING_PAYMENT" and placed["payable_fen"] == 1_199_800
    again = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 2}], "entry": "search"},
                          headers={**alice, "Idempotency-Key": "order-1"})
    assert (await again.json())["id"] == placed["id"]

    # The request id is the correlation id of the events the call caused.
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT payload FROM orders.outbox WHERE event_type = 'order.placed'")
    finally:
        await conn.close()
    assert request_id in str(row["payload"])

    assert (await gw.get(f"/api/orders/{placed['id']}", headers=bob)).status == 404
    assert (await gw.post(f"/api/orders/{placed['id']}/cancel", headers={**bob, "Idempotency-Key": "c"})).status == 404
    listed = await (await gw.get("/api/orders", headers=alice)).json()
    assert [o["id"] for o in listed["items"]] == [placed["id"]]
    assert (await (await gw.get("/api/orders", headers=bob)).json())["items"] == []

    merchant_orders = await (await gw.get("/api/merchant/orders", headers=mall.staff())).json()
    assert [o["id"] for o in merchant_orders["items"]] == [placed["id"]]
    other_merchant = await (await gw.get("/api/merchant/orders", headers=mall.staff("mch_002"))).json()
    assert other_merchant["items"] == []

    resp = await gw.post(f"/api/orders/{placed['id']}/cancel", headers={**alice, "Idempotency-Key": "c1"})
    assert resp.status == 200 and (await resp.json())["status"] == "CANCELLED"

    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 6}]},
                         headers={**alice, "Idempotency-Key": "order-too-many"})
    refused = await resp.json()
    assert resp.status == 201 and refused["status"] == "CANCELLED" and refused["reason"] == "out_of_stock"

    home = await (await gw.get("/api/home", params={"lat": "31.23", "lng": "121.47"}, headers=alice)).json()
    assert set(home) == {"categories", "recommended", "nearby_coupons", "banners", "collections", "flash_sales"}
    assert [p["id"] for p in home["recommended"]] == [product["id"]]


async def test_a_refusal_of_a_service_reaches_the_client_as_its_problem(mall):
    gw, alice = mall.gateway, mall.user()
    resp = await gw.get("/api/products/nope", headers=alice)
    assert resp.status == 404 and resp.content_type == "application/problem+json"
    assert (await resp.json())["code"] == "product_not_found"
    resp = await gw.post("/api/coupons/tpl_nope/claim", headers={**alice, "Idempotency-Key": "k"})
    assert resp.status == 404
    resp = await gw.post("/api/scan", json={"code": "4006381333931"}, headers=alice)  # valid EAN, unknown
    assert (await resp.json()) == {"kind": "unknown", "target": {"code": "4006381333931"}}


async def test_a_scanned_store_code_claims_the_store_coupon_and_home_shows_it_nearby(mall):
    gw, staff, alice = mall.gateway, mall.staff(), mall.user("u_alice")
    assert (await gw.put("/api/merchant/profile", json={"name": "湖滨茶铺"}, headers=staff)).status == 200
    resp = await gw.put("/api/merchant/stores/sto_lake", headers=staff, json={
        "name": "湖滨店", "address": "上城区延安路1号", "lat": 30.2577, "lng": 120.1664})
    assert resp.status == 200, await resp.text()
    resp = await gw.post("/api/merchant/campaigns", json={"name": "开业", "kind": "coupon"}, headers=staff)
    assert resp.status == 201, await resp.text()
    campaign = await resp.json()

    async def template():  # marketing learns the store from catalog's store.changed
        resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
            "name": "到店满50减10", "kind": "fixed", "amount_fen": 1_000, "threshold_fen": 5_000, "valid_days": 7,
            "total_qty": 100, "store_id": "sto_lake"})
        return await resp.json() if resp.status == 201 else None

    tpl = await eventually(template, timeout=15)
    resp = await gw.post("/api/merchant/store-codes", json={"template_id": tpl["id"]}, headers=staff)
    assert resp.status == 201, await resp.text()
    code = (await resp.json())["code"]

    home = await (await gw.get("/api/home", params={"lat": "30.2580", "lng": "120.1660"}, headers=alice)).json()
    assert [c["id"] for c in home["nearby_coupons"]] == [tpl["id"]]

    resp = await gw.post("/api/scan", json={"code": code}, headers={**alice, "X-Entry": "scan"})
    assert resp.status == 200, await resp.text()
    scanned = await resp.json()
    assert scanned["kind"] == "store_coupon" and scanned["target"]["template_id"] == tpl["id"]
    mine = await (await gw.get("/api/coupons/mine", headers=alice)).json()
    assert [c["id"] for c in mine["items"]] == [scanned["target"]["id"]]
    page = await (await gw.post("/api/scan", headers=alice, json={
        "code": "alipays://platformapi/startapp?appId=2021000000000001&page=pages/store/index"})).json()
    assert page == {"kind": "page", "target": {"page": "pages/store/index", "app_id": "2021000000000001"}}


async def test_stores_nearby_is_not_taken_for_a_store_id(mall):
    resp = await mall.gateway.get("/api/stores/nearby", params={"lat": "30.25", "lng": "120.16"},
                                  headers=mall.user())
    assert resp.status == 200 and (await resp.json()) == {"items": []}
    assert (await mall.gateway.get("/api/stores/sto_none", headers=mall.user())).status == 404
