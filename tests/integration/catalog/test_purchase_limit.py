"""Stock hoarding: one buyer may hold at most MALL_MAX_UNPAID_UNITS_PER_SKU (default 5) unpaid units of a SKU."""

from __future__ import annotations

import asyncio

from shared.events.orders import OrderCancelled
from tests.integration.catalog.conftest import MERCHANT, placed, publish
from tests.integration.catalog.test_reservations import decided
from tests.support import eventually


async def test_a_buyer_cannot_hold_more_than_the_cap_of_one_sku(catalog, orders_bus):
    _, sku = await catalog.product("限量球鞋", price_fen=1000, stock=100)
    first = placed(sku, 3, 1000, user_id="hoarder")
    await publish(orders_bus, first)
    await decided(catalog, 1)
    second = placed(sku, 3, 1000, user_id="hoarder")  # 3 held + 3 > 5
    await publish(orders_bus, second)

    reserved, rejected = await decided(catalog, 2)
    assert [r["order_id"] for r in reserved] == [first.order_id]
    assert rejected == [{"order_id": second.order_id, "reason": "purchase_limit", "sku_id": sku}]
    assert await catalog.stock(sku) == {"available": 97, "reserved": 3, "sold": 0}

    # Another buyer is not limited by the hoarder; and once the hoarder's order is released they may buy again.
    other = placed(sku, 3, 1000, user_id="someone_else")
    await publish(orders_bus, other)
    await publish(orders_bus, OrderCancelled(order_id=first.order_id, user_id="hoarder", merchant_id=MERCHANT,
                                             reason="user_cancelled"))
    await eventually(lambda: catalog.db.fetchval(
        "SELECT count(*) = 0 FROM reservations WHERE order_id = $1 AND status = 'held'", first.order_id))
    again = placed(sku, 5, 1000, user_id="hoarder")
    await publish(orders_bus, again)
    reserved, _ = await decided(catalog, 4)
    assert {r["order_id"] for r in reserved} == {first.order_id, other.order_id, again.order_id}


async def test_one_order_over_the_cap_is_rejected(catalog, orders_bus):
    _, sku = await catalog.product("茅台", price_fen=149_900, stock=100)
    order = placed(sku, 6, 149_900, user_id="hoarder")
    await publish(orders_bus, order)
    _, rejected = await decided(catalog, 1)
    assert rejected == [{"order_id": order.order_id, "reason": "purchase_limit", "sku_id": sku}]
    assert await catalog.stock(sku) == {"available": 100, "reserved": 0, "sold": 0}


async def test_concurrent_orders_of_one_buyer_never_pass_the_cap_together(catalog, orders_bus):
    _, sku = await catalog.product("秒杀显卡", price_fen=1000, stock=1000)
    orders = [placed(sku, 1, 1000, user_id="hoarder") for _ in range(30)]
    await asyncio.gather(*(publish(orders_bus, o) for o in orders))

    reserved, rejected = await decided(catalog, 30)
    assert (len(reserved), len(rejected)) == (5, 25)
    assert {r["reason"] for r in rejected} == {"purchase_limit"}
    assert await catalog.stock(sku) == {"available": 995, "reserved": 5, "sold": 0}
    assert await catalog.db.fetchval(
        "SELECT sum(qty) FROM reservations WHERE user_id = 'hoarder' AND status = 'held'") == 5


async def test_the_cap_is_configurable(settings_for, start_app, orders_bus):
    from services.catalog.app import create_app
    from services.catalog.flows import catalogue as commands
    from services.catalog.flows.catalogue import ProductDraft, SkuDraft
    from services.catalog.settings import CatalogSettings
    from shared.service import DB

    app = create_app(settings_for(CatalogSettings, max_unpaid_units_per_sku=1))
    await start_app(app)
    draft = ProductDraft(merchant_id="m", name="口罩", category_id=None,
                         skus=[SkuDraft(specs={}, price_fen=100, stock=10)])
    async with app[DB].transaction() as tx:
        await commands.save_merchant(tx, "m", "药店")
        await commands.save_product(tx, draft)
    order = placed(draft.skus[0].id, 2, 100, user_id="u")
    await publish(orders_bus, order)
    row = await eventually(lambda: app[DB].fetchrow("SELECT status, reason FROM stock_orders WHERE order_id = $1",
                                                    order.order_id))
    assert dict(row) == {"status": "rejected", "reason": "purchase_limit"}
