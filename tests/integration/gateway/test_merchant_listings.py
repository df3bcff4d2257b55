"""The back office's lists through the real gateway and services: a merchant's stores and campaigns, its own
only."""

from __future__ import annotations

from tests.integration.gateway.conftest import Mall


async def test_stores_and_campaigns_are_listed_for_their_merchant_only(mall: Mall) -> None:
    gw, mine, theirs = mall.gateway, mall.staff(), mall.staff("mch_002")
    for who, name in ((mine, "甲"), (theirs, "乙")):
        assert (await gw.put("/api/merchant/profile", json={"name": name}, headers=who)).status == 200
    for store_id, active in (("sto_a", True), ("sto_b", False)):
        resp = await gw.put(f"/api/merchant/stores/{store_id}", headers=mine, json={
            "name": f"店{store_id[-1]}", "address": "西湖区1号", "lat": 30.25, "lng": 120.16, "active": active})
        assert resp.status == 200, await resp.text()
    resp = await gw.put("/api/merchant/stores/sto_c", headers=theirs, json={
        "name": "别家", "address": "拱墅区2号", "lat": 30.27, "lng": 120.16})
    assert resp.status == 200

    stores = await (await gw.get("/api/merchant/stores", headers=mine)).json()
    assert [(s["id"], s["active"]) for s in stores["items"]] == [("sto_a", True), ("sto_b", False)]
    assert [s["id"] for s in (await (await gw.get("/api/merchant/stores", headers=theirs)).json())["items"]] \
        == ["sto_c"]

    resp = await gw.post("/api/merchant/campaigns", headers=mine, json={"name": "开业季", "kind": "coupon"})
    assert resp.status == 201, await resp.text()
    campaigns = await (await gw.get("/api/merchant/campaigns", headers=mine)).json()
    assert [c["name"] for c in campaigns["items"]] == ["开业季"]
    assert (await (await gw.get("/api/merchant/campaigns", headers=theirs)).json())["items"] == []
