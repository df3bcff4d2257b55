"""Stock hoarding and free goods: a cap on a buyer's unpaid orders, and no order of a SKU without a price."""

from __future__ import annotations

import asyncio
import uuid

from shared.events.catalog import StockRejected


async def _place(mall, user: str = "u1") -> tuple[int, dict]:
    return await mall.call("POST", "/orders", user=user, key=uuid.uuid4().hex,
                           json={"items": [{"sku_id": "s1", "qty": 1}]})


async def test_a_buyer_with_five_unpaid_orders_places_no_sixth(mall):
    ids = [(await mall.place())["id"] for _ in range(5)]
    status, problem = await _place(mall)
    assert (status, problem["code"]) == (409, "too_many_unpaid_orders")
    assert await mall.db.fetchval("SELECT count(*) FROM orders WHERE user_id = 'u1'") == 5
    assert len(await mall.emitted("order.placed")) == 5

    assert (await _place(mall, user="u2"))[0] == 201  # the limit is per buyer
    status, _ = await mall.call("POST", f"/orders/{ids[0]}/cancel", key="c1")
    assert status == 200
    assert (await _place(mall))[0] == 201  # a cancelled order no longer counts


async def test_concurrent_placements_of_one_buyer_never_pass_the_limit(make_mall):
    mall = await make_mall(max_unpaid_orders=2)
    await mall.add_sku("s1")
    answers = await asyncio.gather(*(_place(mall) for _ in range(10)))
    assert sorted(status for status, _ in answers) == [201] * 2 + [409] * 8
    assert await mall.db.fetchval("SELECT count(*) FROM orders WHERE user_id = 'u1'") == 2


async def test_a_sku_without_a_price_is_not_sold(mall):
    await mall.add_sku("free", price_fen=0)
    status, problem = await mall.call("POST", "/orders", key="k", json={"items": [{"sku_id": "free", "qty": 1}]})
    assert (status, problem["code"]) == (409, "sku_unavailable")
    assert await mall.db.fetchval("SELECT count(*) FROM orders") == 0


async def test_catalogs_purchase_limit_cancels_the_order_with_that_reason(mall):
    placed = await mall.place()
    await mall.publish(StockRejected(order_id=placed["id"], reason="purchase_limit", sku_id="s1"))
    order = await mall.status_becomes(placed["id"], "CANCELLED")
    assert order["reason"] == "purchase_limit"
