"""Freight and delivery options through the gateway on the real services: the merchant's template, the
buyer's address, checkout preview and the order's snapshot."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.support import DOWN, create_app, gateway_settings
from tests.integration.gateway.test_addresses import HOME, add
from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

PRODUCT = {"name": "龙井茶 250g", "brand": "狮峰", "store_ids": [],
           "skus": [{"id": "sku_tea", "specs": {"规格": "250g"}, "price_fen": 5_000, "stock": 50}]}
# Zhejiang and Jiangsu: ¥8 the first piece, ¥2 each further; Xinjiang ¥20 + ¥10 per 2 more; free from ¥300.
TEMPLATE = {"basis": "piece", "free_above_fen": 30_000, "rules": [
    {"provinces": ["33", "32"], "first_units": 1, "first_fen": 800, "extra_units": 1, "extra_fen": 200},
    {"provinces": ["65"], "first_units": 1, "first_fen": 2_000, "extra_units": 2, "extra_fen": 1_000}]}


async def setup(mall: Mall) -> dict[str, Any]:
    gw, staff = mall.gateway, mall.staff()
    await create_product(mall, PRODUCT)
    resp = await gw.put("/api/merchant/freight-template", json=TEMPLATE, headers=staff)
    assert resp.status == 200, await resp.text()
    resp = await gw.put("/api/merchant/stores/sto_lake", headers=staff, json={
        "name": "湖滨店", "address": "上城区延安路1号", "lat": 30.2577, "lng": 120.1664})
    assert resp.status == 200, await resp.text()
    assert (await gw.put("/api/merchant/profile", json={"name": "别家"}, headers=mall.staff("mch_002"))).status == 200
    resp = await gw.put("/api/merchant/stores/sto_other", headers=mall.staff("mch_002"), json={
        "name": "别家店", "address": "拱墅区1号", "lat": 30.27, "lng": 120.16})
    assert resp.status == 200, await resp.text()

    async def ready() -> bool:  # orders learns the price, fulfilment the stores, from events
        resp = await preview(mall, 1)
        body = await resp.json()
        return resp.status == 200 and any(o.get("store_id") == "sto_lake" for o in body["delivery_options"])

    await eventually(ready, timeout=15)
    return {"home": await (await add(mall, HOME)).json()}


async def preview(mall: Mall, qty: int, delivery: dict[str, Any] | None = None, user: str = "u_alice") -> Any:
    body: dict[str, Any] = {"items": [{"sku_id": "sku_tea", "qty": qty}]}
    if delivery is not None:
        body["delivery"] = delivery
    return await mall.gateway.post("/api/checkout/preview", json=body, headers=mall.user(user))


async def test_preview_prices_express_at_the_address_and_lists_pickup_stores(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    resp = await preview(mall, 3, {"method": "express", "address_id": home["id"]})
    assert resp.status == 200, await resp.text()
    quoted = await resp.json()
    assert quoted["subtotal_fen"] == 15_000 and quoted["freight_fen"] == 800 + 2 * 200
    assert quoted["payable_fen"] == 15_000 + 1_200
    options = {(o["method"], o.get("store_id")): o for o in quoted["delivery_options"]}
    assert options[("express", None)]["freight_fen"] == 1_200
    assert options[("pickup", "sto_lake")]["freight_fen"] == 0
    assert ("pickup", "sto_other") not in options  # another merchant's store
    # From ¥300 of goods delivery is free; pickup is always free.
    assert (await (await preview(mall, 6, {"method": "express", "address_id": home["id"]})).json())["freight_fen"] == 0
    picked = await (await preview(mall, 3, {"method": "pickup", "store_id": "sto_lake"})).json()
    assert (picked["freight_fen"], picked["payable_fen"]) == (0, 15_000)


async def test_bad_delivery_choices_are_refused(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    beijing = await (await add(mall, {**HOME, "province": "北京市", "city": "北京市", "district": "东城区",
                                      "region_code": "110101"})).json()
    bobs = await (await add(mall, HOME, user="u_bob")).json()
    cases = [({"method": "express", "address_id": beijing["id"]}, 409, "region_not_delivered"),
             ({"method": "express", "address_id": bobs["id"]}, 404, "address_not_found"),
             ({"method": "express"}, 422, "address_required"),
             ({"method": "pickup", "store_id": "sto_other"}, 404, "store_not_found"),
             ({"method": "pickup"}, 422, "store_required")]
    for choice, status, code in cases:
        resp = await preview(mall, 1, choice)
        assert (resp.status, (await resp.json())["code"]) == (status, code), choice
        resp = await mall.gateway.post("/api/orders", json={"items": [{"sku_id": "sku_tea", "qty": 1}],
                                                            "delivery": choice},
                                       headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
        assert (resp.status, (await resp.json())["code"]) == (status, code), choice
    orders = await (await mall.gateway.get("/api/orders", headers=mall.user())).json()
    assert orders["items"] == []  # nothing was placed
    express = next(o for o in (await (await preview(mall, 1)).json())["delivery_options"] if o["method"] == "express")
    assert express["freight_fen"] == 800 and express["address_id"] == home["id"]  # priced at the default address


async def test_the_order_keeps_a_snapshot_and_its_payable_includes_freight(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    resp = await mall.gateway.post("/api/orders", json={
        "items": [{"sku_id": "sku_tea", "qty": 2}], "delivery": {"method": "express", "address_id": home["id"]}},
        headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    placed = await resp.json()
    assert (placed["status"], placed["payable_fen"]) == ("AWAITING_PAYMENT", 10_000 + 1_000)
    changed = await mall.gateway.put(f"/api/me/addresses/{home['id']}", json={**HOME, "detail": "搬家了"},
                                     headers=mall.user())
    assert changed.status == 200
    order = await (await mall.gateway.get(f"/api/orders/{placed['id']}", headers=mall.user())).json()
    assert order["freight_fen"] == 1_000 and order["payable_fen"] == 11_000
    assert order["delivery"] == {"method": "express", "freight_fen": 1_000, "store_id": None, "address": {
        "name": "张三", "phone": "13812345678", "province": "浙江省", "city": "杭州市", "district": "西湖区",
        "detail": "文三路90号", "region_code": "330106"}}


async def test_merchant_template_is_validated_and_its_own(mall: Mall) -> None:
    gw = mall.gateway
    bad = {**TEMPLATE, "rules": [{**TEMPLATE["rules"][0], "provinces": ["33", "99"]}]}  # type: ignore[dict-item]
    resp = await gw.put("/api/merchant/freight-template", json=bad, headers=mall.staff())
    assert (resp.status, (await resp.json())["code"]) == (422, "invalid_province")
    twice = {**TEMPLATE, "rules": [TEMPLATE["rules"][0], TEMPLATE["rules"][0]]}  # type: ignore[index]
    resp = await gw.put("/api/merchant/freight-template", json=twice, headers=mall.staff())
    assert (resp.status, (await resp.json())["code"]) == (422, "province_repeated")
    assert (await gw.put("/api/merchant/freight-template", json=TEMPLATE, headers=mall.staff())).status == 200
    mine = await (await gw.get("/api/merchant/freight-template", headers=mall.staff())).json()
    assert mine["free_above_fen"] == 30_000 and [r["provinces"] for r in mine["rules"]] == [["33", "32"], ["65"]]
    other = await gw.get("/api/merchant/freight-template", headers=mall.staff("mch_002"))
    assert (other.status, (await other.json())["code"]) == (404, "freight_template_not_found")
    assert (await gw.get("/api/merchant/freight-template", headers=mall.user())).status in (401, 403)


async def claim_coupon(mall: Mall, name: str, amount_fen: int, threshold_fen: int) -> dict[str, Any]:
    """A fixed coupon of the merchant's, claimed by u_alice."""
    gw, staff = mall.gateway, mall.staff()
    resp = await gw.post("/api/merchant/campaigns", json={"name": "开业", "kind": "coupon"}, headers=staff)
    assert resp.status == 201, await resp.text()
    campaign = await resp.json()
    resp = await gw.post(f"/api/merchant/campaigns/{campaign['id']}/templates", headers=staff, json={
        "name": name, "kind": "fixed", "amount_fen": amount_fen, "threshold_fen": threshold_fen, "valid_days": 7,
        "total_qty": 100})
    assert resp.status == 201, await resp.text()
    template = await resp.json()
    resp = await gw.post(f"/api/coupons/{template['id']}/claim",
                         headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    coupon: dict[str, Any] = await resp.json()
    return coupon


async def test_coupons_take_off_the_goods_never_the_freight(mall: Mall) -> None:
    home = (await setup(mall))["home"]
    gw = mall.gateway
    coupon = await claim_coupon(mall, "满100减20", 2_000, 10_000)
    express = {"method": "express", "address_id": home["id"]}
    body = {"items": [{"sku_id": "sku_tea", "qty": 3}], "coupon_id": coupon["id"], "delivery": express}
    quoted = await (await gw.post("/api/checkout/preview", json=body, headers=mall.user())).json()
    assert (quoted["subtotal_fen"], quoted["discount_fen"], quoted["freight_fen"]) == (15_000, 2_000, 1_200)
    assert quoted["payable_fen"] == 15_000 - 2_000 + 1_200
    resp = await gw.post("/api/orders", json=body, headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["payable_fen"] == 14_200


async def test_the_preview_asks_what_the_order_charges_when_the_coupon_is_worth_more_than_the_goods(
        mall: Mall) -> None:
    # One formula (shared.money.payable) for both: the goods never fall below 1 fen, the coupon gives way
    # first, and the freight is added after.
    home = (await setup(mall))["home"]
    coupon = await claim_coupon(mall, "无门槛减80", 8_000, 0)
    body = {"items": [{"sku_id": "sku_tea", "qty": 1}], "coupon_id": coupon["id"],
            "delivery": {"method": "express", "address_id": home["id"]}}
    resp = await mall.gateway.post("/api/checkout/preview", json=body, headers=mall.user())
    assert resp.status == 200, await resp.text()
    quoted = await resp.json()
    assert (quoted["subtotal_fen"], quoted["discount_fen"], quoted["freight_fen"]) == (5_000, 4_999, 800)
    assert quoted["payable_fen"] == 1 + 800
    resp = await mall.gateway.post("/api/orders", json=body,
                                   headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    placed = await resp.json()
    assert (placed["status"], placed["payable_fen"]) == ("AWAITING_PAYMENT", quoted["payable_fen"])
    order = await (await mall.gateway.get(f"/api/orders/{placed['id']}", headers=mall.user())).json()
    assert (order["discount_fen"], order["points_fen"]) == (quoted["discount_fen"], quoted["points_fen"])


async def test_without_fulfilment_preview_still_prices_the_goods_but_not_a_chosen_delivery(
        mall: Mall, settings_for: Any, start_app: Any) -> None:
    home = (await setup(mall))["home"]
    urls = {f"{name}_url": str(client.make_url("")).rstrip("/") for name, client in mall.services.items()}
    # the same signing key as the mall's gateway, so its buyer tokens hold here too
    settings = gateway_settings(settings_for, **{**urls, "fulfilment_url": DOWN},
                                token_secret=mall.settings.token_secret)
    gateway = await start_app(create_app(settings))
    body: dict[str, Any] = {"items": [{"sku_id": "sku_tea", "qty": 1}]}
    resp = await gateway.post("/api/checkout/preview", json=body, headers=mall.user())
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["payable_fen"] == 5_000 and (await resp.json())["delivery_options"] == []
    body["delivery"] = {"method": "express", "address_id": home["id"]}
    resp = await gateway.post("/api/checkout/preview", json=body, headers=mall.user())
    assert (resp.status, (await resp.json())["code"]) == (503, "service_unavailable")
