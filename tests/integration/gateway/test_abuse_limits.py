"""Abuse limits as a buyer and a merchant meet them through the gateway, on the real services."""

import uuid

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
