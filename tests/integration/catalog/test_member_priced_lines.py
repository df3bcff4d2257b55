"""A member-priced order line carries the SKU's own price beside what the buyer pays: catalog reserves it
against that price (and still refuses a line whose list price is stale)."""

from __future__ import annotations

from shared.events.common import Line
from tests.integration.catalog.conftest import Catalog, placed, publish
from tests.support import eventually


async def test_a_member_priced_line_is_reserved_against_the_list_price(catalog: Catalog, orders_bus):
    _, sku_id = await catalog.product("会员价商品", price_fen=1000, stock=5)
    good = placed(sku_id)
    good = good.model_copy(update={"lines": [Line(sku_id=sku_id, product_id="p", qty=1, unit_price_fen=800,
                                                  list_price_fen=1000)]})
    stale = placed(sku_id).model_copy(update={"lines": [Line(sku_id=sku_id, product_id="p", qty=1,
                                                             unit_price_fen=800, list_price_fen=900)]})
    await publish(orders_bus, good)
    await publish(orders_bus, stale)
    reserved = await eventually(lambda: catalog.events("stock.reserved"))
    rejected = await eventually(lambda: catalog.events("stock.rejected"))
    assert [e["order_id"] for e in reserved] == [good.order_id]
    assert [(e["order_id"], e["reason"]) for e in rejected] == [(stale.order_id, "price_changed")]
