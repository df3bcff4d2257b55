"""Store claim codes and nearby offers, from the local copy of the catalog's stores."""

from __future__ import annotations

from shared.events.catalog import StoreChanged
from tests.integration.marketing.conftest import MERCHANT, make_campaign, make_template, staff, user
from tests.support import eventually

# Around People's Square, Shanghai: ~0 m, ~1.1 km and ~4.4 km away from HERE.
HERE = (31.2304, 121.4737)
STORES = [("sto_near", 31.2304, 121.4740), ("sto_mid", 31.2404, 121.4737), ("sto_far", 31.2704, 121.4737)]


async def add_stores(publish, sql) -> None:
    for store_id, lat, lng in STORES:
        await publish.send(StoreChanged(store_id=store_id, merchant_id=MERCHANT, name=store_id, address="road",
                                        lat=lat, lng=lng), producer="catalog")
    await eventually(lambda: sql.fetchval("SELECT count(*) = 3 FROM stores"))


async def test_nearby_offers_are_within_the_radius_nearest_first(market, sql, publish):
    await add_stores(publish, sql)
    campaign = await make_campaign(market)
    by_store = {s: await make_template(market, campaign["id"], store_id=s) for s, _, _ in STORES}
    await make_template(market, campaign["id"], store_id="sto_near", min_credit_score=700)  # gated: hidden
    resp = await market.get(f"/coupons/nearby?lat={HERE[0]}&lng={HERE[1]}&radius_m=2000", headers=user("u"))
    items = (await resp.json())["items"]
    assert [i["id"] for i in items] == [by_store["sto_near"]["id"], by_store["sto_mid"]["id"]]
    assert items[0]["distance_m"] < items[1]["distance_m"] and items[1]["store"]["id"] == "sto_mid"
    assert 1_000 < items[1]["distance_m"] < 1_200
    assert (await market.get("/coupons/nearby?lat=200&lng=0", headers=user("u"))).status == 422
    assert (await market.get("/coupons/nearby?lat=abc&lng=0", headers=user("u"))).status == 422


async def test_store_code_claims_the_store_coupon_and_refuses_tampered_or_expired_codes(market, sql, publish, clock):
    await add_stores(publish, sql)
    campaign = await make_campaign(market)
    template = await make_template(market, campaign["id"], channel="store_code", store_id="sto_mid")
    minted = await market.post("/merchant/store-codes", json={"template_id": template["id"], "ttl_minutes": 60},
                               headers=staff())
    code = (await minted.json())["code"]
    assert minted.status == 201 and code.startswith("MPSC.")
    assert (await market.post("/merchant/store-codes", json={"template_id": template["id"]},
                              headers=staff("mch_other"))).status == 404
    # Only by scanning: a store_code coupon is neither listed nor claimable directly.
    assert (await market.post(f"/coupons/{template['id']}/claim", headers=user("u1"))).status == 404

    claimed = await market.post("/store-codes/claim", json={"code": code}, headers=user("u1"))
    body = await claimed.json()
    assert claimed.status == 201 and (body["template_id"], body["store_id"]) == (template["id"], "sto_mid")

    payload, signature = code[len("MPSC."):].split(".")
    tampered = f"MPSC.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
    for bad in (tampered, code + "x", "MPSC.nope", "hello"):
        refused = await market.post("/store-codes/claim", json={"code": bad}, headers=user("u2"))
        assert refused.status == 409 and (await refused.json())["code"] == "store_code_invalid", bad

    clock.advance(minutes=61)
    expired = await market.post("/store-codes/claim", json={"code": code}, headers=user("u3"))
    assert expired.status == 409 and (await expired.json())["code"] == "store_code_expired"
    assert await sql.fetchval("SELECT count(*) FROM coupons") == 1
