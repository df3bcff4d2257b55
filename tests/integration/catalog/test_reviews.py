"""Reviews on the real catalog: a buyer reviews a line of a completed order once (and follows up once) within
the window; product pages show the summary with image reviews first; merchants reply and hide; the platform's
blocked terms refuse text; refunded lines are marked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.catalog.app import create_app
from services.catalog.flows import catalogue as commands
from services.catalog.settings import CatalogSettings
from shared.bus import Bus
from shared.clock import ManualClock
from shared.events.common import Line
from shared.events.orders import OrderCompleted, OrderRefunded
from shared.service import DB
from tests.integration.catalog.conftest import MERCHANT, Catalog, placed, publish
from tests.support import eventually

IMG = "https://mall.example/api/images/" + "a" * 40 + ".jpg"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def shop(settings_for, start_app, clock) -> AsyncIterator[Catalog]:
    app = create_app(settings_for(CatalogSettings, review_window_days=15), clock=clock)
    client = await start_app(app)
    async with app[DB].transaction() as tx:
        await commands.save_merchant(tx, MERCHANT, "测试商户")
        await commands.save_merchant(tx, "mch_t2", "另一个商户")
    yield Catalog(client, app[DB])


async def completed_line(shop: Catalog, bus: Bus, sku_id: str, user: str) -> str:
    order = placed(sku_id, user_id=user)
    await publish(bus, order)
    await eventually(lambda: shop.db.fetchval("SELECT true FROM reservations WHERE order_id = $1", order.order_id))
    await publish(bus, OrderCompleted(order_id=order.order_id, user_id=user, merchant_id=MERCHANT))
    await eventually(lambda: shop.db.fetchval("SELECT true FROM review_lines WHERE order_id = $1", order.order_id))
    return order.order_id


async def post(shop: Catalog, path: str, body: dict[str, Any], user: str) -> Any:
    return await shop.client.post(path, json=body, headers={"X-User-Id": user, "Idempotency-Key": uuid.uuid4().hex})


async def summary(shop: Catalog, product_id: str) -> dict[str, Any]:
    resp = await shop.client.get(f"/products/{product_id}/reviews")
    assert resp.status == 200
    return await resp.json()


async def test_a_buyer_reviews_a_received_line_once_and_the_product_page_summarises(shop, orders_bus):
    product_id, sku_id = await shop.product("保温杯")
    first = await completed_line(shop, orders_bus, sku_id, "u_rev1")
    second = await completed_line(shop, orders_bus, sku_id, "u_rev2")

    pending = await (await shop.client.get("/me/reviews", headers={"X-User-Id": "u_rev1"})).json()
    assert [(p["order_id"], p["sku_id"]) for p in pending["pending"]] == [(first, sku_id)]

    resp = await post(shop, "/reviews", {"order_id": first, "sku_id": sku_id, "rating": 4, "text": "很好用"}, "u_rev1")
    assert resp.status == 201, await resp.text()
    again = await post(shop, "/reviews", {"order_id": first, "sku_id": sku_id, "rating": 1}, "u_rev1")
    assert again.status == 409 and (await again.json())["code"] == "already_reviewed"
    # Someone else's line is no line of yours; a line never completed neither.
    other = await post(shop, "/reviews", {"order_id": second, "sku_id": sku_id, "rating": 1}, "u_rev1")
    assert other.status == 404 and (await other.json())["code"] == "line_not_reviewable"

    with_pics = await post(shop, "/reviews", {"order_id": second, "sku_id": sku_id, "rating": 2, "text": "一般",
                                              "images": [IMG]}, "u_rev2")
    assert with_pics.status == 201
    page = await summary(shop, product_id)
    assert page["count"] == 2 and page["average"] == 3.0
    assert page["stars"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert [r["rating"] for r in page["items"]] == [2, 4]  # the one with images first
    assert page["with_images"] == 1 and "user_id" not in page["items"][0]

    review_id = (await resp.json())["id"]
    follow = await post(shop, f"/reviews/{review_id}/followup", {"text": "用了一个月还不错"}, "u_rev1")
    assert follow.status == 200 and (await follow.json())["followup"]["text"] == "用了一个月还不错"
    twice = await post(shop, f"/reviews/{review_id}/followup", {"text": "再追评"}, "u_rev1")
    assert twice.status == 409 and (await twice.json())["code"] == "already_followed_up"
    not_mine = await post(shop, f"/reviews/{review_id}/followup", {"text": "x"}, "u_rev2")
    assert not_mine.status == 404


async def test_images_must_come_from_the_image_store_and_at_most_nine(shop, orders_bus):
    _, sku_id = await shop.product("图片杯")
    order_id = await completed_line(shop, orders_bus, sku_id, "u_img")
    base = {"order_id": order_id, "sku_id": sku_id, "rating": 5}
    for images in (["javascript:alert(1)"], ["https://evil.example/x.jpg"], [IMG] * 10):
        resp = await post(shop, "/reviews", {**base, "images": images}, "u_img")
        assert resp.status == 422, images
    assert await shop.db.fetchval("SELECT count(*) FROM reviews") == 0
    ok = await post(shop, "/reviews", {**base, "images": [IMG] * 9}, "u_img")
    assert ok.status == 201


async def test_the_window_closes_and_blocked_terms_refuse_text(shop, orders_bus, clock):
    _, sku_id = await shop.product("窗口杯")
    order_id = await completed_line(shop, orders_bus, sku_id, "u_win")
    await shop.db.execute("INSERT INTO blocked_terms (id, merchant_id, term) VALUES ('bt_x', NULL, '加微信')")
    spam = await post(shop, "/reviews", {"order_id": order_id, "sku_id": sku_id, "rating": 5,
                                         "text": "好评 加 微 信 领红包"}, "u_win")
    assert spam.status == 422 and (await spam.json())["code"] == "review_blocked_term"
    clock.advance(days=16)
    late = await post(shop, "/reviews", {"order_id": order_id, "sku_id": sku_id, "rating": 5}, "u_win")
    assert late.status == 409 and (await late.json())["code"] == "review_window_closed"
    assert (await (await shop.client.get("/me/reviews", headers={"X-User-Id": "u_win"})).json())["pending"] == []


async def test_merchant_replies_hides_with_a_reason_and_refunded_lines_are_marked(shop, orders_bus):
    product_id, sku_id = await shop.product("退款杯")
    order_id = await completed_line(shop, orders_bus, sku_id, "u_ref")
    resp = await post(shop, "/reviews", {"order_id": order_id, "sku_id": sku_id, "rating": 1, "text": "差"}, "u_ref")
    review_id = (await resp.json())["id"]
    await publish(orders_bus, OrderRefunded(
        order_id=order_id, user_id="u_ref", merchant_id=MERCHANT, refund_id="rf_1", amount_fen=1000, restock=False,
        lines=[Line(sku_id=sku_id, product_id=product_id, qty=1, unit_price_fen=1000)]))
    await eventually(lambda: shop.db.fetchval("SELECT true FROM review_refunds WHERE order_id = $1", order_id))
    assert (await summary(shop, product_id))["items"][0]["refunded"] is True

    staff = {"X-Merchant-Id": MERCHANT}
    other = await shop.client.put(f"/merchant/reviews/{review_id}/reply", json={"text": "抱歉"},
                                  headers={"X-Merchant-Id": "mch_t2"})
    assert other.status == 403 and (await other.json())["code"] == "review_not_yours"
    replied = await shop.client.put(f"/merchant/reviews/{review_id}/reply", json={"text": "抱歉，已退款"},
                                    headers=staff)
    assert (await replied.json())["reply"]["text"] == "抱歉，已退款"

    hidden = await shop.client.put(f"/merchant/reviews/{review_id}/hidden", json={"reason": "广告"}, headers=staff)
    assert (await hidden.json())["hidden_reason"] == "广告"
    page = await summary(shop, product_id)
    assert page["count"] == 0 and page["items"] == [] and page["average"] is None
    listed = await (await shop.client.get("/merchant/reviews", headers=staff)).json()
    assert listed["items"][0]["hidden"] is True
    mine = await (await shop.client.get("/me/reviews", headers={"X-User-Id": "u_ref"})).json()
    assert mine["items"][0]["hidden_reason"] == "广告"
    await shop.client.delete(f"/merchant/reviews/{review_id}/hidden", headers=staff)
    assert (await summary(shop, product_id))["count"] == 1
    # analytics keeps the rating trend to visible reviews from these, in revision order
    assert await shop.events("review.visibility_changed") == [
        {"review_id": review_id, "merchant_id": MERCHANT, "hidden": True, "revision": 1},
        {"review_id": review_id, "merchant_id": MERCHANT, "hidden": False, "revision": 2}]
