"""The demo seed: idempotent, and its offers work through the API."""

from __future__ import annotations

from seeds.marketing import seed
from shared.db import Database, create_pool, service_dsn
from tests.integration.marketing.conftest import user

COUNTS = "SELECT (SELECT count(*) FROM campaigns) c, (SELECT count(*) FROM coupon_templates) t"


async def test_seed_twice_gives_the_same_demo_offers(market, database_url, sql):
    pool = await create_pool(service_dsn(database_url, "marketing"), "marketing", max_size=2)
    try:
        await seed(Database(pool, "marketing"))
        counts = await sql.fetchrow(COUNTS)
        await seed(Database(pool, "marketing"))
        assert await sql.fetchrow(COUNTS) == counts
    finally:
        await pool.close()
    assert counts["c"] == 6 and counts["t"] >= 3 * 6 + 10
    listed = await (await market.get("/coupons/available?merchant_id=mch_001", headers=user("u", score=600))).json()
    names = {t["id"] for t in listed["items"]}
    assert {"tpl_mch_001_manjian", "tpl_mch_001_percent", "tpl_mch_001_nothreshold"} <= names
    assert "tpl_mch_001_credit" not in names
    claimed = await market.post("/coupons/tpl_mch_001_credit/claim", headers=user("u", score=700))
    assert claimed.status == 201
    group = await market.post("/fission/cmp_mch_001_fission", headers=user("u"))
    assert (await group.json())["needed"] == 3
