"""Member prices on the real orders service: a merchant's price or discount per level on a SKU or a category;
the checkout price and the placed order's lines use the buyer's level (from member.level_changed), and the
list price goes with the line so catalog checks stock against the SKU's own price."""

from __future__ import annotations

from shared.events.base import Event
from shared.events.catalog import SkuChanged, StockReserved
from shared.events.marketing import MemberLevelChanged
from tests.integration.orders.conftest import Mall
from tests.support import eventually


async def level(mall: Mall, user: str, merchant: str, new_level: int) -> None:
    await mall.bus.publish_event(Event.wrap(MemberLevelChanged(user_id=user, merchant_id=merchant, old_level=1,
                                                               new_level=new_level), producer="marketing"))
    await eventually(lambda: mall.db.fetchval(
        "SELECT true FROM member_levels WHERE user_id = $1 AND merchant_id = $2 AND level = $3",
        user, merchant, new_level))


async def checkout(mall: Mall, user: str, items: list[dict[str, object]]) -> dict[str, object]:
    status, body = await mall.call("POST", "/checkout/price", user=user, json={"items": items})
    assert status == 200, body
    return body


async def test_the_buyers_level_prices_preview_and_order_alike(mall):
    await mall.add_sku("s2", price_fen=999)
    put = [{"sku_id": "s1", "level": 2, "price_fen": 800}, {"sku_id": "s1", "level": 3, "percent_off": 30},
           {"category_id": "c1", "level": 2, "percent_off": 10}]
    for rule in put:
        status, body = await mall.call("PUT", "/merchant/member-prices", user=None, merchant="m1", json=rule)
        assert status == 200, body
    status, listed = await mall.call("GET", "/merchant/member-prices", user=None, merchant="m1")
    assert len(listed["items"]) == 3
    status, theirs = await mall.call("GET", "/merchant/member-prices", user=None, merchant="m2")
    assert theirs["items"] == []  # a merchant sees only its own

    items = [{"sku_id": "s1", "qty": 2}, {"sku_id": "s2", "qty": 1}]
    plain = await checkout(mall, "u_plain", items)  # level 1: list prices
    assert [ln["unit_price_fen"] for ln in plain["lines"]] == [1000, 999]
    assert plain["subtotal_fen"] == 2999

    await level(mall, "u_gold", "m1", 2)
    gold = await checkout(mall, "u_gold", items)
    # s1: its own rule (800) beats the category's 10 %; s2: the category's 10 % (999 → 899, half up)
    assert [(ln["unit_price_fen"], ln["list_price_fen"]) for ln in gold["lines"]] == [(800, 1000), (899, 999)]
    assert gold["subtotal_fen"] == 2 * 800 + 899
    await level(mall, "u_gold", "m1", 3)  # the level-3 rule of s1 now: 30 % off
    assert (await checkout(mall, "u_gold", items))["lines"][0]["unit_price_fen"] == 700

    placed = await mall.place("u_gold", items=items)
    event = (await mall.emitted("order.placed", placed["id"]))[0]
    assert [(ln["unit_price_fen"], ln["list_price_fen"]) for ln in event["lines"]] == [(700, 1000), (899, 999)]
    assert event["subtotal_fen"] == 2 * 700 + 899
    await mall.publish(StockReserved(order_id=placed["id"], lines=[]))

    async def confirmed() -> dict[str, object] | None:
        found = await mall.order(placed["id"], user="u_gold")
        return found if found["status"] == "AWAITING_PAYMENT" else None

    order = await eventually(confirmed)
    assert order["payable_fen"] == 2 * 700 + 899 and order["lines"][0]["list_price_fen"] == 1000


async def test_rules_are_checked_and_the_merchants_own(mall):
    await mall.add_sku("s_other", merchant_id="m2")
    bad = [({"sku_id": "s1", "category_id": "c1", "level": 2, "percent_off": 5}, 422, "member_price_target"),
           ({"sku_id": "s1", "level": 2}, 422, "member_price_kind"),
           ({"sku_id": "s1", "level": 2, "percent_off": 5, "price_fen": 1}, 422, "member_price_kind"),
           ({"sku_id": "s_other", "level": 2, "percent_off": 5}, 404, "sku_not_found"),
           ({"sku_id": "s1", "level": 1, "percent_off": 5}, 422, "validation_error"),
           ({"sku_id": "s1", "level": 2, "percent_off": 100}, 422, "validation_error")]
    for body, status, code in bad:
        got, answer = await mall.call("PUT", "/merchant/member-prices", user=None, merchant="m1", json=body)
        assert (got, answer["code"]) == (status, code), body
    _, rule = await mall.call("PUT", "/merchant/member-prices", user=None, merchant="m1",
                              json={"sku_id": "s1", "level": 2, "price_fen": 5000})  # above the list price
    await level(mall, "u_x", "m1", 2)
    assert (await checkout(mall, "u_x", [{"sku_id": "s1", "qty": 1}]))["lines"][0]["unit_price_fen"] == 1000
    status, _ = await mall.call("DELETE", f"/merchant/member-prices/{rule['id']}", user=None, merchant="m2")
    assert status == 404
    status, shown = await mall.call("GET", "/member-prices?merchant_id=m1&level=2", user="u_x")
    assert [r["id"] for r in shown["items"]] == [rule["id"]]
    assert (await mall.client.delete(f"/merchant/member-prices/{rule['id']}",
                                     headers={"X-Merchant-Id": "m1"})).status == 204


async def test_a_parent_categorys_member_price_covers_its_subcategories_and_the_nearest_wins(mall):
    # tea (under drinks) and green tea (under tea, under drinks), as catalog's sku.changed names them
    for sku_id, category, ancestors in (("s_black", "tea", ["drinks"]), ("s_green", "green", ["tea", "drinks"]),
                                        ("s_cup", "cups", [])):
        await mall.publish(SkuChanged(sku_id=sku_id, product_id=f"p-{sku_id}", merchant_id="m1",
                                      category_id=category, category_ancestors=ancestors, name=sku_id, specs={},
                                      price_fen=1000, sellable=True, revision=1))
        await eventually(lambda sku_id=sku_id: mall.db.fetchval("SELECT true FROM skus WHERE sku_id = $1", sku_id))
    for rule in ({"category_id": "drinks", "level": 2, "percent_off": 10},
                 {"category_id": "green", "level": 2, "percent_off": 30}):
        status, body = await mall.call("PUT", "/merchant/member-prices", user=None, merchant="m1", json=rule)
        assert status == 200, body
    await level(mall, "u_tea", "m1", 2)
    items = [{"sku_id": "s_black", "qty": 1}, {"sku_id": "s_green", "qty": 1}, {"sku_id": "s_cup", "qty": 1}]
    lines = (await checkout(mall, "u_tea", items))["lines"]
    # black tea: its grandparent drinks' 10 %; green tea: its own category's 30 %; cups: no rule above it
    assert [(ln["unit_price_fen"], ln["list_price_fen"]) for ln in lines] == [(900, 1000), (700, 1000), (1000, None)]
    placed = await mall.place("u_tea", items=items)
    event = (await mall.emitted("order.placed", placed["id"]))[0]
    assert [ln["unit_price_fen"] for ln in event["lines"]] == [900, 700, 1000]
