"""Huabei fees follow the merchant's offers, never the buyer's request: the plans listed, the terms accepted and
the `hb_fq_seller_percent` Alipay receives (asserted on the trade the sandbox stored)."""

from __future__ import annotations

INTEREST_FREE_3 = [{"installments": 3, "fee_payer": "seller", "min_amount_fen": 10_000},
                   {"installments": 6, "fee_payer": "buyer", "min_amount_fen": 30_000}]


async def plans(mall, amount_fen: int, merchant_id: str = "m1") -> dict:
    resp = await mall.client.get("/installment-plans", params={"amount_fen": str(amount_fen),
                                                               "merchant_id": merchant_id})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def settings(mall, merchant_id: str) -> dict:
    resp = await mall.client.get("/merchant/huabei-offers", headers={"X-Merchant-Id": merchant_id})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_the_buyer_cannot_choose_who_pays_the_fee(mall):
    order_id = await mall.confirm_order("u1", 100_000)  # m1 never chose: the mall default, the buyer pays
    for fee_payer in ("merchant", "seller", "buyer"):
        sent = await mall.pay(order_id, "u1", method="huabei", installments=3, fee_payer=fee_payer)
        assert (sent.status, (await sent.json())["code"]) == (422, "validation_error")
    assert await mall.db.fetchval("SELECT count(*) FROM payments") == 0
    started = await (await mall.pay(order_id, "u1", method="huabei", installments=3)).json()
    assert started["plan"]["fee_payer"] == "buyer" and started["plan"]["fee_fen"] == 2_300
    assert (await mall.sandbox.trade(started["trade_no"]))["hb_fq_seller_percent"] == 0


async def test_the_trade_carries_the_seller_percent_of_the_merchants_offer(mall):
    assert (await mall.set_offers("m1", INTEREST_FREE_3)).status == 200
    order_id = await mall.confirm_order("u1", 100_000)
    free = await (await mall.pay(order_id, "u1", method="huabei", installments=3)).json()
    assert free["plan"] == {"installments": 3, "fee_payer": "merchant", "fee_fen": 0,
                            "per_period_fen": [33_334, 33_333, 33_333]}
    trade = await mall.sandbox.trade(free["trade_no"])
    assert (trade["hb_fq_num"], trade["hb_fq_seller_percent"], trade["total_fen"]) == (3, 100, 100_000)

    refused = await mall.pay(order_id, "u1", method="huabei", installments=12)
    assert (refused.status, (await refused.json())["code"]) == (409, "installments_not_offered")
    below = await mall.confirm_order("u1", 29_999)  # 6 instalments only from ¥300
    refused = await mall.pay(below, "u1", method="huabei", installments=6)
    assert (refused.status, (await refused.json())["code"]) == (409, "installments_not_offered")
    assert (await mall.sandbox.trade(free["trade_no"]))["status"] == "WAIT_BUYER_PAY"  # refusals closed nothing

    # The merchant ends its interest-free offer: asking again gives the buyer-paid terms on a new trade.
    assert (await mall.set_offers("m1", [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 0}])).status == 200
    paid_by_buyer = await (await mall.pay(order_id, "u1", method="huabei", installments=3)).json()
    assert paid_by_buyer["trade_no"] != free["trade_no"] and paid_by_buyer["plan"]["fee_fen"] == 2_300
    assert (await mall.sandbox.trade(paid_by_buyer["trade_no"]))["hb_fq_seller_percent"] == 0
    await mall.sandbox.pay(paid_by_buyer["trade_no"], "PCREDIT")
    await mall.wait_status(paid_by_buyer["payment_id"], "succeeded")
    [event] = await mall.events("payment.confirmed")
    assert (event["installments"], event["fee_payer"]) == (3, "buyer")


async def test_the_plans_follow_the_merchants_offers_and_the_amount(mall):
    assert (await mall.set_offers("m1", INTEREST_FREE_3)).status == 200
    assert (await plans(mall, 9_999))["plans"] == []
    at_200 = await plans(mall, 20_000)
    assert at_200["merchant_id"] == "m1" and at_200["minimum_fen"] == 10_000
    assert at_200["plans"] == [{"installments": 3, "fee_payer": "merchant", "fee_fen": 0,
                                "per_period_fen": [6_668, 6_666, 6_666]}]
    at_1000 = await plans(mall, 100_000)
    assert [(p["installments"], p["fee_payer"], p["fee_fen"], sum(p["per_period_fen"])) for p in at_1000["plans"]] == [
        (3, "merchant", 0, 100_000), (6, "buyer", 4_500, 104_500)]
    # another merchant that set nothing: the mall's default, every term with the buyer paying
    other = await plans(mall, 100_000, "m2")
    assert [(p["installments"], p["fee_payer"]) for p in other["plans"]] == [(3, "buyer"), (6, "buyer"), (12, "buyer")]
    # a merchant that offers none
    assert (await mall.set_offers("m3", [])).status == 200
    assert (await plans(mall, 100_000, "m3")) == {"amount_fen": 100_000, "merchant_id": "m3", "minimum_fen": None,
                                                  "plans": []}
    missing = await mall.client.get("/installment-plans", params={"amount_fen": "100000"})
    assert missing.status == 422


async def test_a_merchant_sets_only_its_own_offers_and_bad_settings_are_refused(mall):
    assert (await settings(mall, "m1"))["source"] == "default"
    saved = await (await mall.set_offers("m1", INTEREST_FREE_3)).json()
    assert saved == {"merchant_id": "m1", "source": "merchant", "minimum_fen": 10_000, "offers": [
        {"installments": 3, "fee_payer": "merchant", "min_amount_fen": 10_000},
        {"installments": 6, "fee_payer": "buyer", "min_amount_fen": 30_000}]}
    assert await settings(mall, "m1") == saved
    assert (await mall.set_offers("m1", INTEREST_FREE_3)).status == 200  # PUT again: the same settings
    assert await settings(mall, "m1") == saved
    assert (await settings(mall, "m2"))["source"] == "default"  # m1's settings are m1's alone

    bad_offers = [
        [{"installments": 4, "fee_payer": "buyer", "min_amount_fen": 0}],
        [{"installments": 3, "fee_payer": "platform", "min_amount_fen": 0}],
        [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": -1}],
        [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 100.5}],
        [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": "10000"}],
        [{"installments": 3, "fee_payer": "buyer"}],
        [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 0}] * 2,
        [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 0, "merchant_id": "m2"}],
    ]
    for offers in bad_offers:
        resp = await mall.set_offers("m1", offers)
        assert (resp.status, (await resp.json())["code"]) == (422, "validation_error"), offers
    other = await mall.client.put("/merchant/huabei-offers", headers={"X-Merchant-Id": "m1"},
                                  json={"offers": [], "merchant_id": "m2"})
    assert other.status == 422
    anonymous = await mall.client.put("/merchant/huabei-offers", json={"offers": []})
    assert (anonymous.status, (await anonymous.json())["code"]) == (403, "merchant_only")
    assert await settings(mall, "m1") == saved and (await settings(mall, "m2"))["source"] == "default"

    reset = await mall.client.delete("/merchant/huabei-offers", headers={"X-Merchant-Id": "m1"})
    assert (await reset.json())["source"] == "default"
    assert [(o["installments"], o["fee_payer"]) for o in (await settings(mall, "m1"))["offers"]] == [
        (3, "buyer"), (6, "buyer"), (12, "buyer")]
