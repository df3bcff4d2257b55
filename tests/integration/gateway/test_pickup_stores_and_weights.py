"""Through the gateway on the real services: SKU weights set in catalog price freight by weight in
fulfilment (carried by sku.changed), and each store's pickup settings (hours, the products it hands over)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_addresses import HOME, add
from tests.integration.gateway.test_delivery import PRODUCT, setup
from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

# By weight in Zhejiang: ¥8 for the first kg, ¥3 for each further kg or part of one; a SKU without a weight
# counts as the template's 500 g.
WEIGHT_TEMPLATE = {"basis": "weight", "default_item_weight_g": 500, "rules": [
    {"provinces": ["33"], "first_units": 1, "first_fen": 800, "extra_units": 1, "extra_fen": 300}]}
PARCELS = {"name": "大米与茶", "brand": "农家", "store_ids": [], "skus": [
    {"id": "sku_rice", "specs": {"规格": "1.2kg"}, "price_fen": 3_000, "stock": 50, "weight_g": 1_200},
    {"id": "sku_cup", "specs": {"规格": "300g"}, "price_fen": 1_000, "stock": 50, "weight_g": 300},
    {"id": "sku_card", "specs": {"规格": "卡片"}, "price_fen": 500, "stock": 50}]}
COFFEE = {"name": "挂耳咖啡", "brand": "山间", "store_ids": [],
          "skus": [{"id": "sku_coffee", "specs": {"规格": "10包"}, "price_fen": 4_000, "stock": 50}]}


async def freight(mall: Mall, items: list[tuple[str, int]], address_id: str) -> int:
    resp = await mall.gateway.post("/api/checkout/preview", headers=mall.user(), json={
        "items": [{"sku_id": s, "qty": q} for s, q in items], "delivery": {"method": "express",
                                                                            "address_id": address_id}})
    assert resp.status == 200, await resp.text()
    return int((await resp.json())["freight_fen"])


async def test_freight_by_weight_counts_each_skus_weight_from_catalog(mall: Mall) -> None:
    gw, staff = mall.gateway, mall.staff()
    await create_product(mall, PARCELS)
    resp = await gw.put("/api/merchant/freight-template", json=WEIGHT_TEMPLATE, headers=staff)
    assert resp.status == 200, await resp.text()
    home = await (await add(mall, HOME)).json()

    async def weights_known() -> bool:  # sku.changed brings the weights to fulfilment
        return await freight(mall, [("sku_rice", 1)], home["id"]) == 1_100

    await eventually(weights_known, timeout=15)
    # Hand-computed: grams summed, whole kg rounded up, ¥8 for the first kg and ¥3 for each further one.
    table = [([("sku_rice", 1)], 800 + 300),  # 1.2 kg → 2 kg
             ([("sku_cup", 1)], 800),  # 0.3 kg → 1 kg
             ([("sku_rice", 2), ("sku_cup", 1)], 800 + 2 * 300),  # 2.7 kg → 3 kg
             ([("sku_card", 2)], 800),  # no weight given: 2 × 500 g = 1 kg
             ([("sku_rice", 5), ("sku_card", 1)], 800 + 6 * 300)]  # 6.5 kg → 7 kg
    for items, fen in table:
        assert await freight(mall, items, home["id"]) == fen, items

    resp = await gw.patch("/api/merchant/skus/sku_card", json={"weight_g": 2_100}, headers=staff)
    assert resp.status == 200 and (await resp.json())["weight_g"] == 2_100

    async def new_weight() -> bool:  # 2.1 kg → 3 kg
        return await freight(mall, [("sku_card", 1)], home["id"]) == 800 + 2 * 300

    await eventually(new_weight, timeout=15)
    resp = await gw.post("/api/orders", headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex}, json={
        "items": [{"sku_id": "sku_rice", "qty": 2}, {"sku_id": "sku_cup", "qty": 1}],
        "delivery": {"method": "express", "address_id": home["id"]}})
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["payable_fen"] == 2 * 3_000 + 1_000 + 1_400
    bad = await gw.patch("/api/merchant/skus/sku_card", json={"weight_g": 0}, headers=staff)
    assert bad.status == 422


async def place(mall: Mall, items: list[tuple[str, int]], store_id: str) -> Any:
    return await mall.gateway.post("/api/orders", headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex},
                                   json={"items": [{"sku_id": s, "qty": q} for s, q in items],
                                         "delivery": {"method": "pickup", "store_id": store_id}})


async def test_a_store_hands_over_only_the_products_it_offers_in_its_hours(mall: Mall) -> None:
    await setup(mall)
    gw, staff = mall.gateway, mall.staff()
    tea = next(p for p in (await (await gw.get("/api/merchant/products", headers=staff)).json())["items"]
               if p["name"] == PRODUCT["name"])
    resp = await gw.post("/api/merchant/products", json=COFFEE,
                         headers={**staff, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 201, await resp.text()
    coffee = await resp.json()

    async def coffee_known() -> bool:  # sku.changed tells fulfilment whose product it is
        resp = await gw.put("/api/merchant/pickup-stores/sto_lake", headers=staff,
                            json={"product_ids": [tea["id"], coffee["id"]]})
        return resp.status == 200

    await eventually(coffee_known, timeout=15)
    resp = await gw.put("/api/merchant/pickup-stores/sto_lake", headers=staff, json={
        "open_hours": "10:00-20:00", "product_ids": [tea["id"]]})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["product_ids"] == [tea["id"]]
    listed = (await (await gw.get("/api/merchant/pickup-stores", headers=staff)).json())["items"]
    assert [(s["store_id"], s["open_hours"], s["pickup_enabled"]) for s in listed] == [
        ("sto_lake", "10:00-20:00", True)]

    mixed = [("sku_tea", 1), ("sku_coffee", 1)]
    resp = await gw.post("/api/checkout/preview", headers=mall.user(), json={
        "items": [{"sku_id": s, "qty": q} for s, q in mixed]})
    lake = next(o for o in (await resp.json())["delivery_options"] if o.get("store_id") == "sto_lake")
    assert (lake["available"], lake["reason"], lake["sku_ids"]) == (False, "products_not_offered", ["sku_coffee"])
    assert lake["open_hours"] == "10:00-20:00"
    resp = await place(mall, mixed, "sto_lake")
    problem = await resp.json()
    assert (resp.status, problem["code"], problem["sku_ids"]) == (409, "pickup_products_not_offered",
                                                                   ["sku_coffee"])
    assert (await (await gw.get("/api/orders", headers=mall.user())).json())["items"] == []  # nothing placed
    resp = await place(mall, [("sku_tea", 1)], "sto_lake")
    assert resp.status == 201 and (await resp.json())["status"] == "AWAITING_PAYMENT"

    refusals = [("sto_lake", {"open_hours": "21:00-09:00"}, staff, 422, "invalid_open_hours"),
                ("sto_lake", {"open_hours": "9-5"}, staff, 422, "invalid_open_hours"),
                ("sto_lake", {"product_ids": ["prd_nobody"]}, staff, 422, "product_not_found"),
                ("sto_lake", {"product_ids": [tea["id"]]}, mall.staff("mch_002"), 404, "store_not_found"),
                ("sto_other", {"pickup_enabled": False}, staff, 404, "store_not_found")]
    for store_id, body, who, status, code in refusals:
        resp = await gw.put(f"/api/merchant/pickup-stores/{store_id}", json=body, headers=who)
        assert (resp.status, (await resp.json())["code"]) == (status, code), body
    listed = (await (await gw.get("/api/merchant/pickup-stores", headers=staff)).json())["items"]
    assert listed[0]["product_ids"] == [tea["id"]] and listed[0]["open_hours"] == "10:00-20:00"  # unchanged

    resp = await gw.put("/api/merchant/pickup-stores/sto_lake", json={"pickup_enabled": False}, headers=staff)
    assert resp.status == 200 and (await resp.json())["product_ids"] is None  # off, and all products again
    resp = await place(mall, [("sku_tea", 1)], "sto_lake")
    assert (resp.status, (await resp.json())["code"]) == (404, "store_not_found")
