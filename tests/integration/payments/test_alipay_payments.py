"""Paying orders through Alipay and Huabei: trades, signed notifies, idempotency, refusals."""

from __future__ import annotations

from shared.alipay import generate_key_pair
from shared.alipay.signing import sign_notify
from tests.integration.payments.conftest import APP_ID, BUYER
from tests.support import eventually


async def test_alipay_payment_confirmed_by_signed_notify_once(mall):
    order_id = await mall.confirm_order("u1", 12_345)
    resp = await mall.pay(order_id, "u1", method="alipay")
    assert resp.status == 200, await resp.text()
    started = await resp.json()
    assert started["status"] == "pending" and started["trade_no"]
    trade = await mall.sandbox.trade(started["trade_no"])
    assert trade["total_fen"] == 12_345 and trade["buyer_id"] == BUYER

    await mall.sandbox.pay(started["trade_no"])
    await mall.wait_status(started["payment_id"], "succeeded")
    confirmed = await mall.events("payment.confirmed")
    assert [(e["order_id"], e["amount_fen"], e["method"], e["trade_no"]) for e in confirmed] == [
        (order_id, 12_345, "alipay", started["trade_no"])]

    # Alipay retries the very same notify: answered `success`, applied once
    form = (await mall.sandbox.notifies(started["trade_no"]))[0]["form"]
    for _ in range(2):
        again = await mall.client.post("/alipay/notify", data=form)
        assert (again.status, await again.text()) == (200, "success")
    assert len(await mall.events("payment.confirmed")) == 1
    assert await mall.db.fetchval("SELECT count(*) FROM alipay_notifies") == 1
    shown = await mall.client.get(f"/payments/{started['payment_id']}", headers={"X-User-Id": "u1"})
    assert (await shown.json())["status"] == "succeeded"
    assert (await mall.client.get(f"/payments/{started['payment_id']}", headers={"X-User-Id": "u2"})).status == 404


async def test_tampered_unsigned_or_mismatching_notify_changes_nothing(mall, keys):
    order_id = await mall.confirm_order("u1", 5_000)
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    out_trade_no = (await mall.payment(started["payment_id"]))["out_trade_no"]
    genuine = {"notify_time": "2026-11-25 22:03:01", "notify_type": "trade_status_sync", "notify_id": "n-1",
               "app_id": APP_ID, "charset": "utf-8", "version": "1.0", "trade_no": started["trade_no"],
               "out_trade_no": out_trade_no, "seller_id": "2088000000000001", "trade_status": "TRADE_SUCCESS",
               "total_amount": "50.00", "fund_bill_list": '[{"amount":"50.00","fundChannel":"ALIPAYACCOUNT"}]'}
    signed = sign_notify(genuine, keys.alipay.private_pem)
    forged = [
        {**signed, "total_amount": "0.01"},  # tampered after signing
        {k: v for k, v in signed.items() if k != "sign"},  # unsigned
        sign_notify(genuine, generate_key_pair().private_pem),  # signed, but not by Alipay
        sign_notify({**genuine, "total_amount": "0.01"}, keys.alipay.private_pem),  # amount mismatch
        sign_notify({**genuine, "app_id": "2021999999999999"}, keys.alipay.private_pem),  # another app
        sign_notify({**genuine, "seller_id": "2088999999999999"}, keys.alipay.private_pem),  # another seller
        sign_notify({**genuine, "out_trade_no": "p_unknown"}, keys.alipay.private_pem),  # not our trade
    ]
    for form in forged:
        resp = await mall.client.post("/alipay/notify", data=form)
        assert (resp.status, await resp.text()) == (400, "fail")
    garbage = await mall.client.post("/alipay/notify", data=b"\xff\xfe%%%",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert garbage.status == 400
    assert (await mall.payment(started["payment_id"]))["status"] == "pending"
    assert await mall.db.fetchval("SELECT count(*) FROM alipay_notifies") == 0
    assert await mall.db.fetchval("SELECT count(*) FROM outbox") == 0
    assert await mall.db.fetchval("SELECT status FROM alipay_trades") == "WAIT_BUYER_PAY"
    # and the genuine one is accepted
    ok = await mall.client.post("/alipay/notify", data=signed)
    assert await ok.text() == "success"
    assert (await mall.payment(started["payment_id"]))["status"] == "succeeded"


async def test_huabei_terms_reach_alipay_and_the_plan_is_shown(mall):
    offered = await mall.set_offers("m1", [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 0},
                                           {"installments": 12, "fee_payer": "merchant", "min_amount_fen": 0}])
    assert offered.status == 200, await offered.text()
    order_id = await mall.confirm_order("u1", 100_000)
    resp = await mall.pay(order_id, "u1", method="huabei", installments=3)
    started = await resp.json()
    assert started["plan"] == {"installments": 3, "fee_payer": "buyer", "fee_fen": 2_300,
                               "per_period_fen": [34_102, 34_099, 34_099]}
    trade = await mall.sandbox.trade(started["trade_no"])
    assert (trade["hb_fq_num"], trade["hb_fq_seller_percent"], trade["total_fen"]) == (3, 0, 100_000)
    # other terms: a new trade, the old one closed (Alipay wants a new out_trade_no, notes §4)
    switched = await (await mall.pay(order_id, "u1", method="huabei", installments=12)).json()
    assert switched["trade_no"] != started["trade_no"] and switched["plan"]["fee_fen"] == 0
    assert (await mall.sandbox.trade(started["trade_no"]))["status"] == "TRADE_CLOSED"
    await mall.sandbox.pay(switched["trade_no"], "PCREDIT")
    await mall.wait_status(switched["payment_id"], "succeeded")
    [event] = await mall.events("payment.confirmed")
    assert (event["method"], event["installments"], event["fee_payer"]) == ("huabei", 12, "merchant")

    small = await mall.confirm_order("u1", 9_999)
    refused = await mall.pay(small, "u1", method="huabei", installments=3)
    assert (refused.status, (await refused.json())["code"]) == (409, "huabei_minimum")
    plans = await (await mall.client.get("/installment-plans", params={"amount_fen": "100000",
                                                                         "merchant_id": "m1"})).json()
    assert len(plans["plans"]) == 2 and plans["plans"][0]["per_period_fen"] == [34_102, 34_099, 34_099]
    assert (await mall.client.get("/installment-plans", params={"amount_fen": "x", "merchant_id": "m1"})).status == 422


async def test_orders_not_ready_foreign_or_cancelled_are_refused(mall):
    early = await mall.pay("o-not-yet", "u1", method="alipay")
    assert (early.status, (await early.json())["code"]) == (409, "order_not_ready")
    order_id = await mall.confirm_order("u1", 2_000)
    foreign = await mall.pay(order_id, "u2", method="alipay")
    assert foreign.status == 404
    bad = await mall.pay(order_id, "u1", method="bitcoin")
    assert bad.status == 422
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    await mall.cancel_order(order_id, "u1")

    async def closed() -> bool:
        return (await mall.sandbox.trade(started["trade_no"]))["status"] == "TRADE_CLOSED"
    await eventually(closed, timeout=10)

    async def payment_closed() -> bool:  # the trade is closed at Alipay first, then the payment commits
        return (await mall.payment(started["payment_id"]))["status"] == "closed"
    await eventually(payment_closed, timeout=10)
    late = await mall.pay(order_id, "u1", method="alipay")
    assert (late.status, (await late.json())["code"]) == (409, "order_not_payable")


async def test_same_idempotency_key_same_answer(mall):
    order_id = await mall.confirm_order("u1", 3_000)
    first = await (await mall.pay(order_id, "u1", key="k1", method="alipay")).json()
    second = await (await mall.pay(order_id, "u1", key="k1", method="alipay")).json()
    assert first == second
    reused = await mall.pay(order_id, "u1", key="k1", method="pay_later")
    assert reused.status == 422


async def test_reconcile_finds_a_payment_whose_notify_was_lost(mall):
    from services.payments.jobs import reconcile_once

    # Trades opened now carry a notify_url nobody listens on: the buyer pays, the notify is lost.
    mall.ctx.settings.alipay_notify_url = "http://127.0.0.1:9/unreachable"
    order_id = await mall.confirm_order("u1", 4_200)
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    assert await reconcile_once(mall.ctx) == 0  # still waiting at Alipay: nothing changes
    await mall.db.execute("UPDATE alipay_trades SET checked_at = NULL")
    await mall.sandbox.pay(started["trade_no"])
    assert await reconcile_once(mall.ctx) == 1
    assert (await mall.payment(started["payment_id"]))["status"] == "succeeded"
    assert len(await mall.events("payment.confirmed")) == 1
    assert await reconcile_once(mall.ctx) == 0  # nothing left waiting


async def test_money_taken_after_cancellation_is_still_reported_so_orders_can_refund_it(mall, keys):
    order_id = await mall.confirm_order("u1", 6_600)
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    out_trade_no = (await mall.payment(started["payment_id"]))["out_trade_no"]
    await mall.cancel_order(order_id, "u1")
    await mall.wait_status(started["payment_id"], "closed")
    # Alipay had taken the money just before our close reached it: its notify arrives afterwards
    late = sign_notify({"notify_type": "trade_status_sync", "notify_id": "n-late", "app_id": APP_ID,
                        "charset": "utf-8", "version": "1.0", "trade_no": started["trade_no"],
                        "out_trade_no": out_trade_no, "seller_id": "2088000000000001",
                        "trade_status": "TRADE_SUCCESS", "total_amount": "66.00"}, keys.alipay.private_pem)
    assert await (await mall.client.post("/alipay/notify", data=late)).text() == "success"
    [confirmed] = await mall.events("payment.confirmed")
    assert confirmed["order_id"] == order_id  # orders answers a cancelled order's payment with a refund
    assert await mall.db.fetchval("SELECT status FROM payable_orders WHERE order_id = $1", order_id) == "cancelled"


async def test_an_alipay_that_does_not_answer_is_a_502_that_leaves_nothing_behind(mall):
    # AlipayUnavailable is a fault of the flow, not a business "no": payments' api answers 502
    # alipay_unavailable, the transaction is rolled back, and the buyer's next try opens the trade.
    order_id = await mall.confirm_order("u1", 3_300)
    reachable = mall.ctx.alipay.gateway_url
    mall.ctx.alipay.gateway_url = "http://127.0.0.1:9/gateway.do"  # nothing listens there
    resp = await mall.pay(order_id, "u1", method="alipay")
    problem = await resp.json()
    assert (resp.status, problem["code"], problem["title"]) == (502, "alipay_unavailable", "Alipay did not answer")
    assert resp.content_type == "application/problem+json"
    assert await mall.db.fetchval("SELECT count(*) FROM payments") == 0
    mall.ctx.alipay.gateway_url = reachable
    resp = await mall.pay(order_id, "u1", method="alipay")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "pending"
