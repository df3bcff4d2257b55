"""Placement and pricing: prices from the server's SKU copy, one merchant per order, Idempotency-Key."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


async def test_same_idempotency_key_twice_gives_one_order_and_the_same_answer(mall):
    body = {"items": [{"sku_id": "s1", "qty": 1}], "entry": "search"}
    first = await mall.call("POST", "/orders", key="k-1", json=body)
    again = await mall.call("POST", "/orders", key="k-1", json=body)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert await mall.db.fetchval("SELECT count(*) FROM orders") == 1
    assert len(await mall.emitted("order.placed")) == 1

    status, problem = await mall.call("POST", "/orders", key="k-1", json={**body, "entry": "scan"})
    assert (status, problem["code"]) == (422, "idempotency_key_reused")
    status, problem = await mall.call("POST", "/orders", json=body)
    assert (status, problem["code"]) == (400, "idempotency_key_missing")
    # the key is the user's: another user may use the same string for their own order
    assert (await mall.call("POST", "/orders", user="u2", key="k-1", json=body))[0] == 201


async def test_a_key_stored_before_the_scope_was_renamed_still_answers_its_retry(mall):
    # Before migration 0005 a placement's key was stored under the bare user id; the migration moves stored
    # keys to "order:<user>", so a client retrying across the deploy gets its order, not a second one.
    body = {"items": [{"sku_id": "s1", "qty": 1}], "entry": "search"}
    first = await mall.call("POST", "/orders", key="k-old", json=body)
    await mall.db.execute("UPDATE idempotency_keys SET scope = 'u1' WHERE scope = 'order:u1'")  # as stored then
    await mall.db.execute((ROOT / "services/orders/migrations/0005_idempotency_scope.sql").read_text())
    again = await mall.call("POST", "/orders", key="k-old", json=body)
    assert first == again and first[0] == 201
    assert await mall.db.fetchval("SELECT count(*) FROM orders") == 1


async def test_refusals_have_stable_codes_and_write_nothing(mall):
    await mall.add_sku("s2", merchant_id="m2")
    await mall.add_sku("s3", sellable=False)
    cases = [
        ({"items": [{"sku_id": "nope", "qty": 1}]}, 422, "unknown_sku"),
        ({"items": [{"sku_id": "s3", "qty": 1}]}, 409, "sku_unavailable"),
        ({"items": [{"sku_id": "s1", "qty": 1}, {"sku_id": "s2", "qty": 1}]}, 422, "mixed_merchants"),
        ({"items": [{"sku_id": "s1", "qty": 60}, {"sku_id": "s1", "qty": 60}]}, 422, "quantity_too_large"),
        ({"items": [{"sku_id": "s1", "qty": 0}]}, 422, "validation_error"),
        ({"items": []}, 422, "validation_error"),
        ({"items": [{"sku_id": "s1", "qty": 1, "unit_price_fen": 1}]}, 422, "validation_error"),
        ({"items": [{"sku_id": "s1", "qty": 1}], "entry": "moon"}, 422, "validation_error"),
        ({"items": [{"sku_id": "s1", "qty": 1}], "points": -5}, 422, "validation_error"),
    ]
    for i, (body, status, code) in enumerate(cases):
        got = await mall.call("POST", "/orders", key=f"bad-{i}", json=body)
        assert (got[0], got[1]["code"]) == (status, code), body
        got = await mall.call("POST", "/checkout/price", json=body)
        assert (got[0], got[1]["code"]) == (status, code), body
    resp = await mall.client.post("/orders", data=b"{not json", headers={"X-User-Id": "u1", "Idempotency-Key": "x",
                                                                         "Content-Type": "application/json"})
    assert resp.status == 400 and (await resp.json())["code"] == "invalid_json"
    assert await mall.db.fetchval("SELECT count(*) FROM orders") == 0
    assert await mall.emitted("order.placed") == []


async def test_checkout_price_uses_the_latest_sku_revision(mall):
    await mall.add_sku("s1", price_fen=1200, revision=5)
    await mall.add_sku("s1", price_fen=900, revision=3)  # an older change arriving late
    status, priced = await mall.call("POST", "/checkout/price",
                                     json={"items": [{"sku_id": "s1", "qty": 2}, {"sku_id": "s1", "qty": 1}]})
    assert status == 200
    assert priced["merchant_id"] == "m1" and priced["subtotal_fen"] == 3600
    assert [(ln["sku_id"], ln["qty"], ln["unit_price_fen"]) for ln in priced["lines"]] == [("s1", 3, 1200)]


async def test_order_keeps_a_snapshot_of_its_lines(mall):
    placed = await mall.place(entry="member_card")
    await mall.add_sku("s1", price_fen=5000, name="renamed")
    order = await mall.order(placed["id"])
    assert order["lines"][0] | {"name": "?", "id": "?"} == {
        "id": "?", "sku_id": "s1", "product_id": "p-s1", "name": "?", "qty": 2, "unit_price_fen": 1000,
        "line_fen": 2000, "deposit_fen": 500, "list_price_fen": None, "refunded_qty": 0, "remaining_qty": 2}
    assert order["lines"][0]["name"] != "renamed"
    assert (order["entry"], order["user_id"], order["subtotal_fen"]) == ("member_card", "u1", 2000)


async def test_cart_add_change_remove_and_placement_empties_bought_lines(mall):
    await mall.add_sku("s2", price_fen=250)
    assert (await mall.call("PUT", "/cart/items/s1", json={"qty": 1}))[0] == 200
    status, cart = await mall.call("PUT", "/cart/items/s2", json={"qty": 2})
    assert status == 200 and cart["subtotal_fen"] == 1500
    status, cart = await mall.call("PUT", "/cart/items/s1", json={"qty": 3})
    assert [(i["sku_id"], i["qty"], i["line_fen"]) for i in cart["items"]] == [("s1", 3, 3000), ("s2", 2, 500)]
    assert (await mall.call("PUT", "/cart/items/zzz", json={"qty": 1}))[1]["code"] == "unknown_sku"
    assert (await mall.call("PUT", "/cart/items/s1", json={"qty": 100}))[0] == 422
    assert (await mall.call("GET", "/cart", user="u2"))[1]["items"] == []

    status, cart = await mall.call("DELETE", "/cart/items/s2")
    assert [i["sku_id"] for i in cart["items"]] == ["s1"]
    await mall.call("PUT", "/cart/items/s2", json={"qty": 1})
    await mall.place(items=[{"sku_id": "s1", "qty": 3}])
    assert [i["sku_id"] for i in (await mall.call("GET", "/cart"))[1]["items"]] == ["s2"]
