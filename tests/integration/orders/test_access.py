"""A user never reads or changes another user's order; a merchant only sees its own (always 404)."""

from __future__ import annotations

from shared.events.catalog import ReservedLine, StockReserved


async def test_another_users_order_is_not_found_for_every_call(mall):
    placed = await mall.place(user="alice")
    oid = placed["id"]
    assert (await mall.call("GET", f"/orders/{oid}", user="bob"))[0] == 404
    for action, body in (("cancel", None), ("confirm-receipt", None), ("refund", {"reason": "x"})):
        status, problem = await mall.call("POST", f"/orders/{oid}/{action}", user="bob", key=f"k-{action}", json=body)
        assert (status, problem["code"]) == (404, "order_not_found")
    assert (await mall.call("GET", "/orders", user="bob"))[1]["items"] == []
    assert (await mall.call("GET", f"/orders/{oid}", user=None))[0] == 401
    assert (await mall.call("POST", f"/merchant/orders/{oid}/ship", user=None, merchant="m2"))[0] == 404
    assert (await mall.call("GET", "/merchant/orders", user=None, merchant="m2"))[1]["items"] == []
    assert (await mall.call("GET", "/merchant/orders", user="alice"))[0] == 403
    assert (await mall.order(oid, user="alice"))["status"] == "PENDING"


async def test_listings_by_status_for_user_and_merchant(mall):
    first = await mall.place()
    second = await mall.place()
    await mall.publish(StockReserved(order_id=first["id"], lines=[ReservedLine(sku_id="s1", qty=2)]))
    await mall.status_becomes(first["id"], "AWAITING_PAYMENT")
    status, listing = await mall.call("GET", "/orders?status=PENDING")
    assert status == 200 and [o["id"] for o in listing["items"]] == [second["id"]]
    assert {o["id"] for o in (await mall.call("GET", "/orders"))[1]["items"]} == {first["id"], second["id"]}
    status, listing = await mall.call("GET", "/merchant/orders?status=AWAITING_PAYMENT", user=None, merchant="m1")
    assert [o["id"] for o in listing["items"]] == [first["id"]]
    assert (await mall.call("GET", "/orders?status=LOST"))[0] == 422
