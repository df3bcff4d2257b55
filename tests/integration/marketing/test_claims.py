"""Claiming coupons: quantities, per-user limits, budgets and credit gates hold under concurrency."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.marketing.conftest import make_campaign, make_template, outbox, staff, user


async def test_500_concurrent_claims_of_100_coupons_issue_exactly_100(market, sql):
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], total_qty=100, per_user_limit=1)

    async def claim(i: int) -> int:
        resp = await market.post(f"/coupons/{template['id']}/claim", headers=user(f"u{i}"))
        return resp.status

    statuses = await asyncio.gather(*(claim(i) for i in range(500)))
    assert statuses.count(201) == 100
    assert statuses.count(409) == 400
    assert await sql.fetchval("SELECT count(*) FROM coupons WHERE template_id = $1", template["id"]) == 100
    assert await sql.fetchval("SELECT issued_qty FROM coupon_templates WHERE id = $1", template["id"]) == 100
    assert len(await outbox(sql, "coupon.claimed")) == 100  # analytics counts claims from these
    refused = await market.post(f"/coupons/{template['id']}/claim", headers=user("late"))
    assert (await refused.json())["code"] == "coupon_sold_out"


async def test_per_user_limit_of_one_holds_under_20_concurrent_claims_by_one_user(market, sql):
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], total_qty=1000, per_user_limit=1)
    responses = await asyncio.gather(*(market.post(f"/coupons/{template['id']}/claim", headers=user("greedy"))
                                       for _ in range(20)))
    statuses = [r.status for r in responses]
    assert statuses.count(201) == 1
    assert {(await r.json())["code"] for r in responses if r.status == 409} == {"claim_limit_reached"}
    assert await sql.fetchval("SELECT count(*) FROM coupons WHERE user_id = 'greedy'") == 1


async def test_spent_budget_stops_claims(market, sql):
    campaign = await make_campaign(market, budget_fen=1_500)  # three ¥5 coupons
    template = await make_template(market, campaign["id"], amount_fen=500, total_qty=100)
    statuses = [(await market.post(f"/coupons/{template['id']}/claim", headers=user(f"b{i}"))).status
                for i in range(5)]
    assert statuses == [201, 201, 201, 409, 409]
    refused = await market.post(f"/coupons/{template['id']}/claim", headers=user("b9"))
    assert (await refused.json())["code"] == "budget_exhausted"
    row = await sql.fetchrow("SELECT committed_fen, budget_fen FROM campaigns WHERE id = $1", campaign["id"])
    assert row["committed_fen"] == 1_500
    # A refused claim takes nothing: the quantity and the user's allowance were rolled back with it.
    assert await sql.fetchval("SELECT issued_qty FROM coupon_templates WHERE id = $1", template["id"]) == 3
    assert await sql.fetchval("SELECT count(*) FROM template_claims WHERE user_id = 'b9'") == 0


async def test_credit_gated_coupon_is_refused_and_hidden_below_the_score(market):
    campaign = await make_campaign(market)
    gated = await make_template(market, campaign["id"], min_credit_score=650)
    low = await market.post(f"/coupons/{gated['id']}/claim", headers=user("low", score=600))
    assert low.status == 409
    assert (await low.json())["code"] == "credit_too_low"
    unknown = await market.post(f"/coupons/{gated['id']}/claim", headers=user("anon"))
    assert (await unknown.json())["code"] == "credit_too_low"
    listed_low = await (await market.get("/coupons/available", headers=user("low", score=600))).json()
    assert gated["id"] not in [t["id"] for t in listed_low["items"]]
    listed_high = await (await market.get("/coupons/available", headers=user("high", score=700))).json()
    assert gated["id"] in [t["id"] for t in listed_high["items"]]
    high = await market.post(f"/coupons/{gated['id']}/claim", headers=user("high", score=700))
    assert high.status == 201


async def test_same_idempotency_key_answers_the_first_claim_again(market, sql):
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], per_user_limit=5)
    headers = user("idem")
    first = await market.post(f"/coupons/{template['id']}/claim", headers=headers)
    again = await market.post(f"/coupons/{template['id']}/claim", headers=headers)
    assert first.status == again.status == 201
    assert (await first.json())["id"] == (await again.json())["id"]
    assert await sql.fetchval("SELECT count(*) FROM coupons WHERE user_id = 'idem'") == 1
    missing = await market.post(f"/coupons/{template['id']}/claim", headers={"X-User-Id": "idem"})
    assert (await missing.json())["code"] == "idempotency_key_missing"


async def test_my_coupons_by_status_and_another_users_coupon_is_not_found(market, clock):
    campaign = await make_campaign(market)
    short = await make_template(market, campaign["id"], valid_days=1)
    long = await make_template(market, campaign["id"], valid_days=30)
    mine = await (await market.post(f"/coupons/{short['id']}/claim", headers=user("me"))).json()
    await market.post(f"/coupons/{long['id']}/claim", headers=user("me"))
    clock.advance(days=2)
    expired = await (await market.get("/coupons/mine?status=expired", headers=user("me"))).json()
    available = await (await market.get("/coupons/mine?status=available", headers=user("me"))).json()
    assert [c["template_id"] for c in expired["items"]] == [short["id"]]
    assert [c["template_id"] for c in available["items"]] == [long["id"]]
    assert (await market.get(f"/coupons/{mine['id']}", headers=user("me"))).status == 200
    other = await market.get(f"/coupons/{mine['id']}", headers=user("someone-else"))
    assert other.status == 404
    bad = await market.get("/coupons/mine?status=weird", headers=user("me"))
    assert bad.status == 422


async def test_bad_templates_are_refused_with_the_field_and_merchants_only_touch_their_own(market):
    campaign = await make_campaign(market)
    percent_without_cap = await market.post(
        f"/merchant/campaigns/{campaign['id']}/templates", headers=staff(),
        json={"name": "x", "kind": "percent", "percent_off_bp": 1000, "total_qty": 10, "valid_days": 1})
    assert percent_without_cap.status == 422
    both_validities = await market.post(
        f"/merchant/campaigns/{campaign['id']}/templates", headers=staff(),
        json={"name": "x", "kind": "fixed", "amount_fen": 100, "total_qty": 10, "valid_days": 1,
              "valid_until": "2030-01-01T00:00:00Z"})
    assert both_validities.status == 422
    not_json = await market.post("/merchant/campaigns", data=b"{",
                                 headers={**staff(), "Content-Type": "application/json"})
    assert not_json.status == 400
    foreign = await market.post(f"/merchant/campaigns/{campaign['id']}/templates", headers=staff("mch_other"),
                                json={"name": "x", "kind": "fixed", "amount_fen": 100, "total_qty": 10,
                                      "valid_days": 1})
    assert foreign.status == 404
    assert (await market.get(f"/merchant/campaigns/{campaign['id']}/stats", headers=staff("mch_other"))).status == 404
    no_staff = await market.get("/merchant/campaigns")
    assert no_staff.status == 403
    unknown = await market.post(f"/coupons/{uuid.uuid4().hex}/claim", headers=user("u"))
    assert unknown.status == 404


async def test_text_the_database_cannot_store_is_refused_not_a_500(market):
    campaign = await make_campaign(market)
    nul = await market.post(f"/merchant/campaigns/{campaign['id']}/templates", headers=staff(),
                            json={"name": "a\u0000b", "kind": "fixed", "amount_fen": 100, "total_qty": 1,
                                  "valid_days": 1})
    assert nul.status == 422
    assert (await market.post("/store-codes/claim", json={"code": "MPSC.\u0000.x"}, headers=user("u"))).status == 422
    assert (await market.get("/coupons/available?store_id=%00", headers=user("u"))).status == 422
    assert (await market.post("/coupons/a%00b/claim", headers=user("u"))).status == 404
    assert (await market.get("/fission/groups/%ED%A0%80", headers=user("u"))).status == 404
    quote = {"merchant_id": "m", "subtotal_fen": 100, "coupon_id": "c\u0000",
             "lines": [{"sku_id": "s", "product_id": "p", "qty": 1, "unit_price_fen": 100}]}
    assert (await market.post("/quote", json=quote, headers=user("u"))).status == 422


async def test_a_scheduled_campaign_and_a_dated_template_are_taken_with_their_times(market):
    # JSON carries times as ISO 8601 strings: each must be read with its offset (a strict model once refused
    # every string, so no campaign could be scheduled), and a time without an offset is refused by field.
    campaign = await make_campaign(market, starts_at="2030-01-01T00:00:00+08:00", ends_at="2030-02-01T00:00:00Z")
    assert campaign["starts_at"].startswith("2029-12-31T16:00:00") and campaign["ends_at"].startswith("2030-02-01")
    template = await make_template(market, campaign["id"], valid_days=None, valid_until="2030-03-01T00:00:00Z")
    assert template["valid_until"].startswith("2030-03-01")
    naive = await market.post("/merchant/campaigns", headers=staff(),
                              json={"name": "x", "starts_at": "2030-01-01T00:00:00"})
    assert naive.status == 422 and (await naive.json())["errors"][0]["field"] == "starts_at"
