"""Huabei through the gateway, on the real services: the merchant's staff sets who pays the instalment fee,
only for its own merchant; buyers see and get exactly those terms and cannot choose the fee payer."""

from __future__ import annotations

import uuid

from tests.integration.gateway.test_routing import create_product
from tests.support import eventually

OFFERS = {"offers": [{"installments": 3, "fee_payer": "seller", "min_amount_fen": 10_000},
                     {"installments": 6, "fee_payer": "buyer", "min_amount_fen": 10_000}]}
URL = "/api/merchant/huabei-offers"


async def test_staff_set_only_their_own_merchants_huabei_offers(mall):
    gw = mall.gateway
    resp = await gw.put(URL, json=OFFERS, headers={**mall.staff("mch_001"), "Idempotency-Key": "h1"})
    assert resp.status == 200, await resp.text()
    mine = await resp.json()
    assert mine["merchant_id"] == "mch_001" and mine["source"] == "merchant"
    assert [(o["installments"], o["fee_payer"]) for o in mine["offers"]] == [(3, "merchant"), (6, "buyer")]

    # Staff of mch_002 see their own (default) settings, and what they write is theirs alone.
    theirs = await (await gw.get(URL, headers=mall.staff("mch_002"))).json()
    assert theirs["merchant_id"] == "mch_002" and theirs["source"] == "default"
    resp = await gw.put(URL, json={"offers": []}, headers=mall.staff("mch_002"))
    assert resp.status == 200 and (await resp.json())["merchant_id"] == "mch_002"
    resp = await gw.put(URL, json={**OFFERS, "merchant_id": "mch_001"}, headers=mall.staff("mch_002"))
    assert resp.status == 422
    assert await (await gw.get(URL, headers=mall.staff("mch_001"))).json() == mine
    assert (await (await gw.get(URL, headers=mall.staff("mch_002"))).json())["offers"] == []

    buyer = await gw.put(URL, json={"offers": []}, headers=mall.user())
    assert (buyer.status, (await buyer.json())["code"]) == (403, "merchant_only")
    bad = await gw.put(URL, json={"offers": [{"installments": 3, "fee_payer": "buyer", "min_amount_fen": 0.5}]},
                       headers=mall.staff("mch_001"))
    assert (bad.status, (await bad.json())["code"]) == (422, "validation_error")
    assert await (await gw.get(URL, headers=mall.staff("mch_001"))).json() == mine


async def test_buyers_get_the_merchants_terms_and_cannot_choose_the_fee_payer(mall):
    gw, alice = mall.gateway, mall.user("u_alice")
    assert (await gw.put(URL, json=OFFERS, headers=mall.staff("mch_001"))).status == 200
    plans = await gw.get("/api/installment-plans", params={"amount_fen": "599900", "merchant_id": "mch_001"},
                         headers=alice)
    assert plans.status == 200, await plans.text()
    listed = (await plans.json())["plans"]
    assert [(p["installments"], p["fee_payer"], p["fee_fen"]) for p in listed] == [
        (3, "merchant", 0), (6, "buyer", 26_996)]
    assert (await gw.get("/api/installment-plans", params={"amount_fen": "599900"}, headers=alice)).status == 422

    await create_product(mall)  # mch_001's phone at ¥5999

    async def placed():
        resp = await gw.post("/api/orders", json={"items": [{"sku_id": "sku_mate60", "qty": 1}]},
                             headers={**alice, "Idempotency-Key": uuid.uuid4().hex})
        order = await resp.json()
        return order if order.get("status") == "AWAITING_PAYMENT" else None

    order = await eventually(placed, timeout=15)  # orders learns the price from sku.changed

    async def pay(key: str, **body):
        return await gw.post(f"/api/orders/{order['id']}/pay", json=body, headers={**alice, "Idempotency-Key": key})

    chosen = await pay("p1", method="huabei", installments=3, fee_payer="buyer")
    assert (chosen.status, (await chosen.json())["code"]) == (422, "validation_error")
    not_offered = await pay("p2", method="huabei", installments=12)
    assert (not_offered.status, (await not_offered.json())["code"]) == (409, "installments_not_offered")
    resp = await pay("p3", method="huabei", installments=3)
    assert resp.status == 200, await resp.text()
    started = await resp.json()
    assert started["plan"] == listed[0]
    trade = await (await mall.sandbox.get(f"/sandbox/trades/{started['trade_no']}")).json()
    assert (trade["hb_fq_num"], trade["hb_fq_seller_percent"], trade["total_fen"]) == (3, 100, 599_900)
