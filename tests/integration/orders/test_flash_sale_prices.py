"""Flash sales (秒杀) on the real orders service: a line naming a sale is priced at the sale price inside its
window (the preview and the order alike, the list price beside it, the sale named on order.placed for catalog
to admit), and refused before the start, after the end, over the per-buyer limit or with other goods."""

from __future__ import annotations

from datetime import timedelta

from shared.events.catalog import FlashSaleScheduled
from tests.integration.orders.conftest import Mall
from tests.support import eventually


async def flash_sale(mall: Mall, sale_id: str, *, starts_in: timedelta) -> None:
    starts = mall.clock.now() + starts_in
    await mall.publish(FlashSaleScheduled(sale_id=sale_id, merchant_id="m1", sku_id="s1", price_fen=600,
                                          quantity=100, per_buyer_limit=2, starts_at=starts,
                                          ends_at=starts + timedelta(hours=1)))
    await eventually(lambda: mall.db.fetchval("SELECT true FROM flash_sales WHERE sale_id = $1", sale_id))


async def test_a_flash_sale_prices_the_preview_and_the_order_inside_its_window(mall):
    await flash_sale(mall, "fs_1", starts_in=timedelta(minutes=10))
    items = [{"sku_id": "s1", "qty": 2}]
    status, early = await mall.call("POST", "/checkout/price", json={"items": items, "flash_sale_id": "fs_1"})
    assert (status, early["code"]) == (409, "flash_sale_not_started")
    status, body = await mall.call("POST", "/orders", key="k-early", json={"items": items, "flash_sale_id": "fs_1"})
    assert (status, body["code"]) == (409, "flash_sale_not_started")

    mall.clock.advance(minutes=10)
    status, preview = await mall.call("POST", "/checkout/price", json={"items": items, "flash_sale_id": "fs_1"})
    assert status == 200, preview
    line = preview["lines"][0]
    assert (line["unit_price_fen"], line["list_price_fen"], line["flash_sale_id"]) == (600, 1000, "fs_1")
    assert preview["subtotal_fen"] == 1200
    placed = await mall.place("u1", items=items, flash_sale_id="fs_1")
    event = (await mall.emitted("order.placed", placed["id"]))[0]
    assert [(ln["unit_price_fen"], ln["list_price_fen"], ln["flash_sale_id"]) for ln in event["lines"]] == \
        [(600, 1000, "fs_1")]
    assert event["subtotal_fen"] == preview["subtotal_fen"]

    refusals = [({"items": [{"sku_id": "s1", "qty": 3}]}, 409, "flash_sale_limit"),
                ({"items": [{"sku_id": "s1", "qty": 1}, {"sku_id": "s2", "qty": 1}]}, 422, "flash_sale_items"),
                ({"items": items, "coupon_id": "c1"}, 422, "flash_sale_alone")]
    await mall.add_sku("s2")
    for n, (body, want_status, code) in enumerate(refusals):
        status, answer = await mall.call("POST", "/orders", key=f"k-{n}", json={**body, "flash_sale_id": "fs_1"})
        assert (status, answer.get("code")) == (want_status, code)
    status, answer = await mall.call("POST", "/orders", key="k-none", json={"items": items, "flash_sale_id": "fs_x"})
    assert (status, answer["code"]) == (404, "flash_sale_not_found")

    mall.clock.advance(hours=1)
    status, late = await mall.call("POST", "/orders", key="k-late", json={"items": items, "flash_sale_id": "fs_1"})
    assert (status, late["code"]) == (409, "flash_sale_ended")
    plain = await mall.place("u2", items=items)  # without the sale: the list price, as ever
    assert (await mall.emitted("order.placed", plain["id"]))[0]["subtotal_fen"] == 2000
