"""user.active names the merchant when the visit is about one (its member card, store, product, coupons);
home and search stay visits to the mall. Real services behind the gateway; analytics stores what it gets."""

import asyncpg
import orjson

from tests.integration.gateway.test_routing import create_product
from tests.support import eventually


async def visits(database_url: str) -> set[tuple[str, str, str | None]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT payload FROM gateway.outbox WHERE event_type = 'user.active'")
    finally:
        await conn.close()
    data = [orjson.loads(r["payload"])["data"] for r in rows]
    assert len(data) == len({(d["user_id"], d["day"], d["entry"], d["merchant_id"]) for d in data})
    return {(d["user_id"], d["entry"], d["merchant_id"]) for d in data}


async def test_a_visit_about_one_merchant_names_it_once_a_day(mall, database_url):
    product = await create_product(mall)
    gw, alice = mall.gateway, mall.user("u_alice")
    search, card = {**alice, "X-Entry": "search"}, {**alice, "X-Entry": "member_card"}
    resp = await gw.put("/api/merchant/stores/sto_lake", headers=mall.staff(), json={
        "name": "西湖店", "address": "杭州市西湖区", "lat": 30.25, "lng": 120.16})
    assert resp.status in (200, 201), await resp.text()

    assert (await gw.get("/api/search", params={"q": "shouji"}, headers=search)).status == 200
    for _ in range(2):
        assert (await gw.get(f"/api/products/{product['id']}", headers=search)).status == 200
    assert (await gw.get("/api/products/no_such_product", headers=search)).status == 404
    assert (await gw.get("/api/coupons/available", params={"merchant_id": "mch_001"}, headers=search)).status == 200
    assert (await gw.get("/api/stores/sto_lake", headers={**alice, "X-Entry": "nearby"})).status == 200
    assert (await gw.get("/api/search/history", headers=card)).status == 200  # member-card entry, no merchant yet

    async def card_opened():  # marketing learns of the merchant from catalog's events; 404 until then
        return (await gw.post("/api/merchants/mch_001/card", headers=card)).status == 200

    await eventually(card_opened, timeout=15)
    assert await card_opened()

    assert await visits(database_url) == {
        ("u_alice", "search", None),  # the search page: the mall's visit, and the failed product lookup's
        ("u_alice", "search", "mch_001"),  # the product page and the shop's coupons
        ("u_alice", "nearby", "mch_001"),  # the store page
        ("u_alice", "member_card", "mch_001"),  # never a merchant-less member-card visit
    }

    async def stored():
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT entry, merchant_id FROM analytics.visits WHERE user_id = 'u_alice'")
        finally:
            await conn.close()
        found = {(r["entry"], r["merchant_id"]) for r in rows}
        return found if len(found) == 4 else None

    assert await eventually(stored, timeout=15) == {("search", ""), ("search", "mch_001"), ("nearby", "mch_001"),
                                                    ("member_card", "mch_001")}
