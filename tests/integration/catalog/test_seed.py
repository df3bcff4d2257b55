"""The demo catalogue: loaded through the service (events in the outbox), and idempotent."""

from __future__ import annotations

from seeds import catalog as demo
from services.catalog.domain import is_valid_ean13
from tests.integration.catalog.conftest import Catalog


async def test_demo_catalogue_is_complete_published_and_idempotent(catalog: Catalog):
    await demo.seed(catalog.db)
    db = catalog.db
    assert await db.fetchval("SELECT count(*) FROM products WHERE id LIKE 'prd_%'") == 200
    assert {r["id"] for r in await db.fetch("SELECT id FROM merchants")} >= {"mch_001", "mch_002", "mch_003"}
    stores = {r["id"]: r["merchant_id"] for r in await db.fetch("SELECT id, merchant_id FROM stores")}
    assert stores == {f"sto_{i:03d}": "mch_001" if i <= 4 else "mch_002" if i <= 7 else "mch_003"
                      for i in range(1, 11)}
    barcodes = [r["barcode"] for r in await db.fetch("SELECT barcode FROM skus")]
    assert barcodes and all(is_valid_ean13(b) for b in barcodes)
    assert await db.fetchval("SELECT count(*) FROM skus WHERE deposit_fen > 0") > 0
    assert await db.fetchval("SELECT count(*) FROM skus WHERE available > 0") == len(barcodes)
    sku_events = await catalog.events("sku.changed")
    assert {e["sku_id"] for e in sku_events} == set(
        r["id"] for r in await db.fetch("SELECT id FROM skus"))
    assert len(await catalog.events("store.changed")) == 10

    await demo.seed(catalog.db)  # again: nothing changes, nothing is published twice
    assert await db.fetchval("SELECT count(*) FROM products") == 200
    assert len(await catalog.events("sku.changed")) == len(sku_events)
    assert len(await catalog.events("store.changed")) == 10

    resp = await catalog.client.get("/search", params={"q": "sj"})
    body = await resp.json()
    assert body["total"] >= 30 and "手机" in body["items"][0]["name"]
    resp = await catalog.client.get("/stores/nearby", params={"lat": 30.2590, "lng": 120.1480, "radius_m": 3000})
    assert (await resp.json())["items"][0]["id"] == "sto_001"
