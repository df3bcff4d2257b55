"""Pay-later through the gateway on every real service and the Alipay sandbox: the buyer's bills and credit
line, repaying a bill with an Alipay trade, ownership, and the merchant's view of its pay-later exposure."""

from __future__ import annotations

import uuid

from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

UMBRELLA = {"name": "天堂伞", "brand": "天堂", "store_ids": [],
            "skus": [{"id": "sku_umbrella", "specs": {"color": "蓝"}, "price_fen": 120_000, "stock": 10}]}


async def test_bought_on_credit_shipped_shown_to_the_merchant_and_repaid(mall):
    await create_product(mall, UMBRELLA)
    gw, alice, bob, staff = mall.gateway, mall.user("u_alice", 700), mall.user("u_bob", 700), mall.staff()

    async def buy(qty: int) -> dict:
        async def placed():
            resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_umbrella", "qty": qty}]},
                                 headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
            body = await resp.json()
            return body if resp.status == 201 and body["status"] == "AWAITING_PAYMENT" else None
        return await eventually(placed, timeout=15)  # orders learns the price from sku.changed

    async def pay_later(order: dict):
        return await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "pay_later"},
                             headers={**alice, "Idempotency-Key": uuid.uuid4().hex})

    order = await buy(3)
    assert (await pay_later(order)).status == 200
    too_much = await buy(2)  # 3 600 + 2 400 yuan > the 5 000 yuan of an excellent score
    resp = await pay_later(too_much)
    assert (resp.status, (await resp.json())["code"]) == (409, "credit_limit_exceeded")

    bills = await (await gw.get("/api/me/bills", headers=alice)).json()
    [bill] = bills["items"]
    assert (bill["order_id"], bill["amount_fen"], bill["status"]) == (order["id"], 360_000, "open")
    assert bills["credit"] == {"limit_fen": 500_000, "used_fen": 360_000, "available_fen": 140_000}

    async def shipped():  # orders learns the payment from payment.confirmed; shipping stays allowed
        resp = await gw.post(f"/api/merchant/orders/{order['id']}/ship", headers=staff)
        return resp.status == 200
    await eventually(shipped, timeout=15)
    exposure = await (await gw.get("/api/merchant/pay-later", headers=staff)).json()
    assert (exposure["open_fen"], exposure["overdue_fen"], [i["order_id"] for i in exposure["items"]]) == \
        (360_000, 0, [order["id"]])
    other = await (await gw.get("/api/merchant/pay-later", headers=mall.staff("mch_002"))).json()
    assert other["outstanding_fen"] == 0 and other["items"] == []
    assert (await gw.get("/api/merchant/pay-later", headers=alice)).status == 403

    pay_path = f"/api/me/bills/{bill['id']}/pay"
    assert (await gw.post(pay_path, headers=alice)).status == 400  # an Idempotency-Key is required
    resp = await gw.post(pay_path, headers={**bob, "Idempotency-Key": "b1"})
    assert (resp.status, (await resp.json())["code"]) == (404, "bill_not_found")
    resp = await gw.post(pay_path, headers={**alice, "Idempotency-Key": "a1"})
    assert resp.status == 200, await resp.text()
    trade = await resp.json()
    assert trade["amount_fen"] == 360_000
    paid = await mall.sandbox.post(f"/sandbox/trades/{trade['trade_no']}/pay", json={})
    assert paid.status == 200, await paid.text()

    async def repaid():  # the sandbox's signed notify reaches payments through the gateway
        return (await (await gw.get("/api/me/bills", headers=alice)).json())["items"][0]["status"] == "paid"
    await eventually(repaid, timeout=15)
    bills = await (await gw.get("/api/me/bills", headers=alice)).json()
    assert bills["credit"] == {"limit_fen": 500_000, "used_fen": 0, "available_fen": 500_000}
    assert (await pay_later(too_much)).status == 200  # the credit is free again
    exposure = await (await gw.get("/api/merchant/pay-later", headers=staff)).json()
    assert [i["order_id"] for i in exposure["items"]] == [too_much["id"]]


async def test_a_due_bill_of_a_buyer_who_signed_is_deducted_by_agreement_once(mall, database_url):
    import asyncpg

    from services.payments.deps import deps_of
    from services.payments.flows.bills import deduct_due

    await create_product(mall, UMBRELLA)
    gw, alice = mall.gateway, mall.user("u_alice", 700)
    order = await eventually(lambda: _placed(gw, alice), timeout=15)
    assert (await gw.post(f"/api/orders/{order['id']}/pay", json={"method": "pay_later"},
                          headers={**alice, "Idempotency-Key": uuid.uuid4().hex})).status == 200

    # Alice signs the withholding agreement in Alipay (the sandbox's signing page).
    started = await (await gw.post("/api/me/pay-later/agreement", headers=alice)).json()
    assert started["status"] == "signing"
    unsigned = await (await gw.post("/api/me/pay-later/agreement/check", headers=alice)).json()
    assert unsigned["status"] == "signing"
    resp = await mall.sandbox.post("/sandbox/agreements/confirm", json={"order_str": started["sign_str"],
                                                                        "user_id": "2088000000000099"})
    assert resp.status == 201, await resp.text()
    signed = await (await gw.post("/api/me/pay-later/agreement/check", headers=alice)).json()
    assert signed["status"] == "active" and signed["agreement_no"] == (await resp.json())["agreement_no"]

    payments = deps_of(mall.services["payments"].app)
    assert await deduct_due(payments) == 0  # not due yet
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE payments.pay_later_bills SET due_at = now() - interval '1 minute' "
                           "WHERE order_id = $1", order["id"])
    finally:
        await conn.close()
    assert await deduct_due(payments) == 1
    assert await deduct_due(payments) == 0  # deducted once
    [bill] = (await (await gw.get("/api/me/bills", headers=alice)).json())["items"]
    assert (bill["status"], bill["paid_fen"]) == ("paid", 120_000)


async def _placed(gw, who):
    resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_umbrella", "qty": 1}]},
                         headers={**who, "Idempotency-Key": uuid.uuid4().hex})
    body = await resp.json()
    return body if resp.status == 201 and body["status"] == "AWAITING_PAYMENT" else None
