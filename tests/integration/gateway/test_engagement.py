"""Engagement through the gateway on the real services: a member price the buyer's level earned (by paying)
prices preview and order alike and shows on the member card; the completed order's line gets a review with a
photo the buyer uploaded; home content, footprints and hot words reach the client."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_delivery import setup
from tests.integration.gateway.test_pickup import pay
from tests.support import eventually


async def preview(mall: Mall, qty: int) -> dict[str, Any]:
    resp = await mall.gateway.post("/api/checkout/preview", headers=mall.user(), json={
        "items": [{"sku_id": "sku_tea", "qty": qty}], "delivery": {"method": "pickup", "store_id": "sto_lake"}})
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def place(mall: Mall, qty: int) -> dict[str, Any]:
    resp = await mall.gateway.post("/api/orders", headers={**mall.user(), "Idempotency-Key": uuid.uuid4().hex},
                                   json={"items": [{"sku_id": "sku_tea", "qty": qty}],
                                         "delivery": {"method": "pickup", "store_id": "sto_lake"}})
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def complete_pickup(mall: Mall, order: dict[str, Any]) -> None:
    gw, staff = mall.gateway, mall.staff()
    assert (await gw.post(f"/api/merchant/orders/{order['id']}/ready", headers=staff)).status == 200

    async def status(wanted: str) -> bool:
        found = await (await gw.get(f"/api/orders/{order['id']}", headers=mall.user())).json()
        return bool(found["status"] == wanted)

    await eventually(lambda: status("READY_FOR_PICKUP"), timeout=15)
    resp = await gw.post("/api/merchant/pickups/verify", json={"code": order["pickup"]["code"], "store_id": "sto_lake"},
                         headers={**staff, "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status == 200, await resp.text()
    await eventually(lambda: status("COMPLETED"), timeout=15)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_member_prices_reviews_home_footprints_and_hot_words(mall: Mall) -> None:
    gw, staff, alice = mall.gateway, mall.staff(), mall.user()
    await setup(mall)
    rule = await gw.put("/api/merchant/member-prices", headers=staff,
                        json={"sku_id": "sku_tea", "level": 2, "percent_off": 10})
    assert rule.status == 200, await rule.text()
    # ¥100 a tin (a buyer holds at most 5 unpaid units of a SKU), at level 1 so far: the list price.
    assert (await gw.patch("/api/merchant/skus/sku_tea", json={"price_fen": 10_000}, headers=staff)).status == 200

    async def repriced() -> bool:
        return bool((await preview(mall, 1))["subtotal_fen"] == 10_000)

    await eventually(repriced, timeout=15)

    # ¥500 paid at the merchant reaches level 2 (marketing's thresholds), which orders hears of.
    first = await place(mall, 5)
    paid = await pay(mall, first, lambda found: bool(found.get("pickup")))

    async def member_priced() -> dict[str, Any] | None:
        quoted = await preview(mall, 2)
        return quoted if quoted["subtotal_fen"] == 18_000 else None

    quoted = await eventually(member_priced, timeout=20)
    assert quoted["member_saving_fen"] == 2_000
    second = await place(mall, 2)
    assert (second["status"], second["payable_fen"]) == ("AWAITING_PAYMENT", quoted["payable_fen"])

    opened = await gw.post("/api/merchants/mch_001/card", headers=alice)
    assert opened.status == 200, await opened.text()
    cards = (await (await gw.get("/api/me/cards", headers=alice)).json())["items"]
    assert cards[0]["level"] == 2
    assert [(r["sku_id"], r["percent_off"]) for r in cards[0]["member_prices"]] == [("sku_tea", 10)]

    # The first order, picked up, is reviewed with a photo the buyer uploaded.
    await complete_pickup(mall, paid)
    pending = await eventually(lambda: _pending(mall), timeout=15)
    upload = await gw.post("/api/me/images", data=photo(), headers={**alice, "Content-Type": "image/jpeg"})
    assert upload.status == 201, await upload.text()
    body = {"order_id": paid["id"], "sku_id": "sku_tea", "rating": 5, "text": "茶香浓郁",
            "images": [(await upload.json())["url"]]}
    written = await gw.post("/api/reviews", json=body, headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
    assert written.status == 201, await written.text()
    page = await (await gw.get(f"/api/products/{pending['product_id']}/reviews")).json()
    assert (page["count"], page["average"], page["items"][0]["text"]) == (1, 5.0, "茶香浓郁")
    twice = await gw.post("/api/reviews", json=body, headers={**mall.user("u_bob"),
                                                              "Idempotency-Key": uuid.uuid4().hex})
    assert twice.status == 404  # not bob's line

    # The console's review list narrows by rating, images and whether the merchant hid it.
    async def listed(**filters: str) -> list[str]:
        resp = await gw.get("/api/merchant/reviews", params=filters, headers=staff)
        assert resp.status == 200, await resp.text()
        return [r["text"] for r in (await resp.json())["items"]]

    assert await listed(rating="5", with_images="true") == ["茶香浓郁"]
    assert await listed(rating="4") == [] and await listed(with_images="false") == []
    review_id = (await written.json())["id"]
    hidden = await gw.put(f"/api/merchant/reviews/{review_id}/hidden", json={"reason": "广告"}, headers=staff)
    assert hidden.status == 200, await hidden.text()
    assert (await listed(hidden="true"), await listed(hidden="false")) == (["茶香浓郁"], [])
    assert (await gw.get("/api/merchant/reviews", params={"rating": "6"}, headers=staff)).status == 422

    # Home content, footprints, hot words.
    start = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    banner = await gw.post("/api/merchant/home-items", headers={**staff, "Idempotency-Key": uuid.uuid4().hex},
                           json={"kind": "banner", "title": "新茶上市", "target_kind": "product",
                                 "target": pending["product_id"], "starts_at": start})
    assert banner.status == 201, await banner.text()
    home = await (await gw.get("/api/home", params={"merchant_id": "mch_001"}, headers=alice)).json()
    assert [b["title"] for b in home["banners"]] == ["新茶上市"]
    assert (await gw.get(f"/api/products/{pending['product_id']}", headers=alice)).status == 200
    footprints = (await (await gw.get("/api/me/footprints", headers=alice)).json())["items"]
    assert [f["id"] for f in footprints] == [pending["product_id"]]
    assert (await gw.delete("/api/me/footprints", headers=alice)).status == 204
    hot = await gw.get("/api/search/hot")
    assert hot.status == 200 and (await hot.json())["items"] == []


async def _pending(mall: Mall) -> dict[str, Any] | None:
    found = await (await mall.gateway.get("/api/me/reviews", headers=mall.user())).json()
    return found["pending"][0] if found["pending"] else None


async def test_a_banner_may_point_only_to_one_of_the_merchants_own_campaigns(mall: Mall) -> None:
    gw, mine, theirs = mall.gateway, mall.staff(), mall.staff("mch_002")

    async def campaign(staff: dict[str, str]) -> str:
        resp = await gw.post("/api/merchant/campaigns", json={"name": "春茶节", "kind": "coupon"}, headers=staff)
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["id"])

    assert (await gw.put("/api/merchant/profile", json={"name": "茶铺"}, headers=mine)).status == 200
    own, other = await campaign(mine), await campaign(theirs)
    start = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    async def banner(target: str, item_id: str | None = None) -> Any:
        body = {"kind": "banner", "title": "春茶节", "target_kind": "campaign", "target": target, "starts_at": start}
        if item_id is None:
            return await gw.post("/api/merchant/home-items", json=body,
                                 headers={**mine, "Idempotency-Key": uuid.uuid4().hex})
        return await gw.put(f"/api/merchant/home-items/{item_id}", json=body, headers=mine)

    for target in (other, "cmp_nope"):  # another merchant's campaign is no campaign of ours
        refused = await banner(target)
        assert (refused.status, (await refused.json())["code"]) == (422, "unknown_campaign"), target
    saved = await banner(own)
    assert saved.status == 201, await saved.text()
    item_id = (await saved.json())["id"]
    moved = await banner(other, item_id)
    assert (moved.status, (await moved.json())["code"]) == (422, "unknown_campaign")
    items = (await (await gw.get("/api/merchant/home-items", headers=mine)).json())["items"]
    assert [(i["id"], i["target"]) for i in items] == [(item_id, own)]
