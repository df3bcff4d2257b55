"""A free-shipping coupon through the gateway on the real services: the preview and the order's payable
agree that the freight is waived (up to the coupon's cap) and the goods are not discounted."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup


async def free_shipping_coupon(mall: Mall, cap_fen: int) -> dict[str, Any]:
    gw, staff = mall.gateway, mall.staff()
    resp = await gw.post("/api/merchant/campaigns", json={"name": "包邮", "kind": "coupon"}, headers=staff)
    assert resp.status == 201, await resp.text()
    campaign = await resp.json()
    resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
        "name": "满50包邮", "kind": "free_shipping", "cap_fen": cap_fen, "threshold_fen": 5_000, "valid_days": 7,
        "total_qty": 100, "per_user_limit": 5})
    assert resp.status == 201, await resp.text()
    template = await resp.json()
    resp = await gw.post(f"/api/coupons/{template['id']}/claim",
                         headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def test_a_free_shipping_coupon_waives_the_freight_in_preview_and_order_alike(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    gw = mall.gateway
    coupon = await free_shipping_coupon(mall, cap_fen=1_000)
    express = {"method": "express", "address_id": home["id"]}
    body = {"items": [{"sku_id": "sku_tea", "qty": 3}], "delivery": express}  # ¥150 of goods, ¥12 freight
    plain = await (await gw.post("/api/checkout/preview", json=body, headers=mall.user())).json()
    listed = next(c for c in plain["usable_coupons"] if c["id"] == coupon["id"])
    assert (listed["discount_fen"], listed["freight_off_fen"]) == (0, 1_000)

    body["coupon_id"] = coupon["id"]
    resp = await gw.post("/api/checkout/preview", json=body, headers=mall.user())
    assert resp.status == 200, await resp.text()
    quoted = await resp.json()
    assert (quoted["subtotal_fen"], quoted["discount_fen"], quoted["freight_fen"], quoted["freight_off_fen"]) == (
        15_000, 0, 1_200, 1_000)  # the cap: ¥10 of the ¥12 freight
    assert quoted["payable_fen"] == 15_000 + 1_200 - 1_000
    resp = await gw.post("/api/orders", json=body, headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    placed = await resp.json()
    assert (placed["status"], placed["payable_fen"]) == ("AWAITING_PAYMENT", quoted["payable_fen"])
    order = await (await gw.get(f"/api/orders/{placed['id']}", headers=mall.user())).json()
    assert (order["freight_fen"], order["freight_off_fen"], order["discount_fen"]) == (1_200, 1_000, 0)


async def test_a_free_shipping_coupon_has_nothing_to_waive_on_a_pickup_order(mall: Mall) -> None:
    await setup(mall)
    coupon = await free_shipping_coupon(mall, cap_fen=2_000)
    body = {"items": [{"sku_id": "sku_tea", "qty": 3}], "coupon_id": coupon["id"],
            "delivery": {"method": "pickup", "store_id": "sto_lake"}}
    resp = await mall.gateway.post("/api/checkout/preview", json=body, headers=mall.user())
    assert (resp.status, (await resp.json())["code"]) == (409, "coupon_not_applicable")
    resp = await mall.gateway.post("/api/orders", json=body,
                                   headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    placed = await resp.json()
    assert (placed["status"], placed["reason"]) == ("CANCELLED", "coupon_not_applicable")
