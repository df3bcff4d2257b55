"""Suggestion poisoning: a query is suggested only after several distinct buyers searched it, and blocked
terms (the platform's everywhere, a merchant's with its products) are never suggested."""

from __future__ import annotations

import asyncio
import sys

from tests.integration.catalog.conftest import MERCHANT, Catalog

SPAM = "mate60 加微信 vx123"  # finds the phone by trigram similarity: one hit is all the spammer needs


async def admin(database_url: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "deploy.admin", *args, env={"MALL_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def search(catalog: Catalog, q: str, user: str | None) -> int:
    resp = await catalog.client.get("/search", params={"q": q}, headers={"X-User-Id": user} if user else {})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["total"]


async def suggestions(catalog: Catalog, q: str) -> list[str]:
    resp = await catalog.client.get("/search/suggest", params={"q": q})
    assert resp.status == 200
    return (await resp.json())["suggestions"]


async def test_one_buyer_repeating_a_query_never_makes_it_a_suggestion(catalog):
    await catalog.product("华为 Mate60 Pro 手机", brand="华为")
    for _ in range(50):
        assert await search(catalog, SPAM, "spammer") >= 1
    assert SPAM not in await suggestions(catalog, "mate")
    for _ in range(10):
        await search(catalog, SPAM, None)  # anonymous searches never count
    assert SPAM not in await suggestions(catalog, "mate")

    await search(catalog, SPAM, "buyer2")
    assert SPAM not in await suggestions(catalog, "mate")
    await search(catalog, SPAM, "buyer3")  # the third distinct buyer
    assert (await suggestions(catalog, "mate"))[0] == SPAM


async def test_min_buyers_is_configurable(settings_for, start_app):
    from services.catalog.app import create_app
    from services.catalog.flows import catalogue as commands
    from services.catalog.flows.catalogue import ProductDraft, SkuDraft
    from services.catalog.settings import CatalogSettings
    from shared.service import DB

    app = create_app(settings_for(CatalogSettings, suggest_min_buyers=1))
    client = await start_app(app)
    async with app[DB].transaction() as tx:
        await commands.save_merchant(tx, "m", "店")
        await commands.save_product(tx, ProductDraft(merchant_id="m", name="电饭煲", category_id=None,
                                                     skus=[SkuDraft(specs={}, price_fen=100)]))
    await client.get("/search", params={"q": "电饭煲 美的"}, headers={"X-User-Id": "one"})
    resp = await client.get("/search/suggest", params={"q": "电饭"})
    assert "电饭煲 美的" in (await resp.json())["suggestions"]


async def test_a_platform_blocked_term_is_never_suggested_however_popular(catalog, database_url):
    await catalog.product("华为 Mate60 Pro 手机", brand="华为")
    await catalog.product("华为 加微信 特价手机", brand="华为")  # a product name holding the term too
    for buyer in range(5):
        await search(catalog, SPAM, f"b{buyer}")
    assert SPAM in await suggestions(catalog, "mate")
    assert "华为 加微信 特价手机" in await suggestions(catalog, "华为")

    # The operator's CLI, against this test's database; matched as a substring, case-insensitively.
    assert "blocked 'vx123'" in await admin(database_url, "block-term", "VX123")
    assert "vx123" in await admin(database_url, "blocked-terms")
    await admin(database_url, "block-term", "加微信")
    for buyer in range(5, 10):
        await search(catalog, SPAM, f"b{buyer}")
    assert SPAM not in await suggestions(catalog, "mate")
    shown = await suggestions(catalog, "华为")
    assert "华为 加微信 特价手机" not in shown
    assert "华为 Mate60 Pro 手机" in shown


async def test_a_merchant_blocks_terms_for_its_own_products(catalog):
    staff = {"X-Merchant-Id": MERCHANT}
    await catalog.product("华为 Mate60 Pro 手机", brand="华为")  # MERCHANT's
    await catalog.product("华为 山寨 手机壳", merchant_id="mch_t2")
    spam = "mate60 山寨 加v"
    for buyer in range(3):
        assert await search(catalog, spam, f"b{buyer}") >= 1
    assert spam in await suggestions(catalog, "mate")

    resp = await catalog.client.post("/merchant/blocked-terms", json={"term": " 山寨 "}, headers=staff)
    assert resp.status == 201
    term = await resp.json()
    assert term["term"] == "山寨"
    again = await catalog.client.post("/merchant/blocked-terms", json={"term": "山寨"}, headers=staff)
    assert (await again.json())["id"] == term["id"]
    listed = await (await catalog.client.get("/merchant/blocked-terms", headers=staff)).json()
    assert [t["term"] for t in listed["items"]] == ["山寨"]
    other = await (await catalog.client.get("/merchant/blocked-terms", headers={"X-Merchant-Id": "mch_t2"})).json()
    assert other["items"] == []

    assert spam not in await suggestions(catalog, "mate")  # the query found MERCHANT's phone
    assert "华为 山寨 手机壳" in await suggestions(catalog, "华为")  # not MERCHANT's to hide

    for body in ({"term": ""}, {"term": "   "}, {"term": "x" * 51}, {"nope": 1}):
        resp = await catalog.client.post("/merchant/blocked-terms", json=body, headers=staff)
        assert resp.status == 422, body
    resp = await catalog.client.delete(f"/merchant/blocked-terms/{term['id']}", headers={"X-Merchant-Id": "mch_t2"})
    assert (resp.status, (await resp.json())["code"]) == (404, "blocked_term_not_found")
    resp = await catalog.client.delete(f"/merchant/blocked-terms/{term['id']}", headers=staff)
    assert resp.status == 204
    assert spam in await suggestions(catalog, "mate")
    assert (await catalog.client.get("/merchant/blocked-terms")).status == 403


async def test_free_skus_are_refused(catalog):
    staff = {"X-Merchant-Id": MERCHANT}
    resp = await catalog.client.post("/merchant/products", json={"name": "赠品", "skus": [{"price_fen": 0}]},
                                     headers={**staff, "Idempotency-Key": "free"})
    problem = await resp.json()
    assert resp.status == 422 and problem["code"] == "validation_error"
    assert any("price_fen" in e["field"] for e in problem["errors"])
    _, sku = await catalog.product("毛巾", price_fen=500)
    resp = await catalog.client.patch(f"/merchant/skus/{sku}", json={"price_fen": 0}, headers=staff)
    assert resp.status == 422 and "price_fen" in (await resp.json())["errors"][0]["field"]
    resp = await catalog.client.patch(f"/merchant/skus/{sku}", json={"price_fen": 1}, headers=staff)
    assert resp.status == 200 and (await resp.json())["price_fen"] == 1
