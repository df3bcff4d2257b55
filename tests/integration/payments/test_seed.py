"""The demo seed: mch_001 offers interest-free 3 instalments; seeding again changes nothing, and never
overwrites what the merchant set since."""

from __future__ import annotations

from seeds.payments import seed
from shared.db import Database, create_pool, service_dsn


async def test_seed_gives_mch_001_an_interest_free_3_instalment_offer(mall, database_url):
    pool = await create_pool(service_dsn(database_url, "payments"), "payments", max_size=2)
    try:
        await seed(Database(pool, "payments"))
        await seed(Database(pool, "payments"))
        plans = await (await mall.client.get("/installment-plans", params={"amount_fen": "10000",
                                                                         "merchant_id": "mch_001"})).json()
        assert [(p["installments"], p["fee_payer"], p["fee_fen"]) for p in plans["plans"]] == [
            (3, "merchant", 0), (6, "buyer", 450), (12, "buyer", 750)]
        assert await mall.db.fetchval("SELECT count(*) FROM huabei_offers") == 3

        assert (await mall.set_offers("mch_001", [])).status == 200  # the merchant's own choice stays
        await seed(Database(pool, "payments"))
        assert await mall.db.fetchval("SELECT count(*) FROM huabei_offers") == 0
    finally:
        await pool.close()
