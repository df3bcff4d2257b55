"""Abuse limits as a buyer and a merchant meet them through the gateway, on the real services."""

import uuid

import asyncpg

from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

PRODUCT = {"name": "限量球鞋 AJ1", "brand": "Nike", "store_ids": [],
           "skus": [{"id": "sku_aj1", "specs": {"码": "42"}, "price_fen": 129_900, "stock": 50}]}


async def order(mall, headers, qty: int) -> dict:
    resp = await mall.gateway.post("/api/orders", json={"items": [{"sku_id": "sku_aj1", "qty": qty}]},
                                   headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_a_hoarders_order_past_the_per_buyer_limit_comes_back_cancelled(mall):
    await create_product(mall, PRODUCT)
    gw, alice, bob = mall.gateway, mall.user("u_alice"), mall.user("u_bob")

    async def priced():
        resp = await gw.post("/api/checkout/preview", json={"items": [{"sku_id": "sku_aj1", "qty": 1}]},
                             headers=alice)
        return resp.status == 200

    await eventually(priced, timeout=15)  # orders learns the price from sku.changed
    assert (await order(mall, alice, 4))["status"] == "AWAITING_PAYMENT"
    refused = await order(mall, alice, 2)  # 4 unpaid + 2 > 5
    assert (refused["status"], refused["reason"]) == ("CANCELLED", "purchase_limit")
    assert (await order(mall, bob, 5))["status"] == "AWAITING_PAYMENT"  # each buyer has their own limit


async def test_a_merchant_manages_blocked_suggestion_terms_through_the_gateway(mall):
    await create_product(mall, PRODUCT)
    gw, staff = mall.gateway, mall.staff()
    resp = await gw.post("/api/merchant/blocked-terms", json={"term": "加微信"}, headers=staff)
    assert resp.status == 201, await resp.text()
    term = await resp.json()
    listed = await (await gw.get("/api/merchant/blocked-terms", headers=staff)).json()
    assert [t["term"] for t in listed["items"]] == ["加微信"]
    assert (await (await gw.get("/api/merchant/blocked-terms", headers=mall.staff("mch_002"))).json())["items"] == []
    resp = await gw.delete(f"/api/merchant/blocked-terms/{term['id']}", headers=mall.staff("mch_002"))
    assert resp.status == 404
    resp = await gw.delete(f"/api/merchant/blocked-terms/{term['id']}", headers=staff)
    assert resp.status == 204
    assert (await gw.get("/api/merchant/blocked-terms", headers=mall.user())).status in (401, 403)


async def test_a_share_group_through_the_gateway_shows_a_nickname_and_no_user_id(mall, database_url):
    sharer, friend = "2088000000000011", "2088000000000022"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO gateway.users (id, app_id, open_id, nickname) VALUES "
                           "($1, 'app', 'open-s', '小王'), ($2, 'app', 'open-f', '小李')", sharer, friend)
    finally:
        await conn.close()
    gw, staff = mall.gateway, mall.staff()
    resp = await gw.post("/api/merchant/campaigns", json={"name": "拉新", "kind": "fission", "fission_needed": 2},
                         headers={**staff, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    campaign = await resp.json()
    resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers={
        **staff, "Idempotency-Key": uuid.uuid4().hex}, json={
        "name": "reward", "channel": "fission_sharer", "kind": "fixed", "amount_fen": 500, "total_qty": 10,
        "valid_days": 7})
    assert resp.status == 201, await resp.text()

    resp = await gw.post(f"/api/fission/{campaign['id']}", headers=mall.user(sharer))
    assert resp.status == 201, await resp.text()
    group = await resp.json()
    assert group["sharer"] == {"nickname": "小王"} and group["is_sharer"] is True
    resp = await gw.post(f"/api/fission/groups/{group['id']}/join", headers=mall.user(friend))
    assert resp.status == 200, await resp.text()
    text = await resp.text()
    assert sharer not in text and "小王" in text
    text = await (await gw.get(f"/api/fission/groups/{group['id']}", headers=mall.user(sharer))).text()
    assert friend not in text
