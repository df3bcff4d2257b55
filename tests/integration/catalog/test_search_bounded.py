"""A common word's search reads its best sellers instead of ranking every hit (store/search.py _bounded): the
pages must be those of the full ranking, and the total says when it was not counted to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from seeds.catalog_scale import QUERIES, seed_scale
from services.catalog.api.buyer import FUZZY_THRESHOLD
from services.catalog.app import create_app
from services.catalog.domain import SearchPlan, has_chinese, plan_search
from services.catalog.flows import catalogue as commands
from services.catalog.settings import CatalogSettings
from services.catalog.store import search
from shared.service import DB
from tests.integration.catalog.conftest import MERCHANT, Catalog

CAP = 40  # a kind of match with more hits than this is read by sales (2,000 products: 手机 has ≈ 260 hits)
EVERY_HIT = 10**9  # a cap no kind reaches: every hit ranked, the ranking the bounded read must agree with


@pytest.fixture
async def capped(settings_for, start_app) -> AsyncIterator[Catalog]:
    app = create_app(settings_for(CatalogSettings, db_pool_max=20, search_count_cap=CAP))
    client = await start_app(app)
    db = app[DB]
    async with db.transaction() as tx:
        await commands.save_merchant(tx, MERCHANT, "测试商户")
    catalog = Catalog(client, db)
    async with db.pool.acquire() as conn:
        await seed_scale(conn, 2000)
    yield catalog


async def page(catalog: Catalog, q: str, size: int, number: int, cap: int) -> list[tuple[str, int, bool]]:
    async with catalog.db.transaction() as tx:
        rows = await search.search_products(tx.conn, plan_search(q), size, (number - 1) * size, FUZZY_THRESHOLD, cap)
    return [(r["id"], r["total"], r["total_exact"]) for r in rows]


async def test_the_pages_are_those_of_the_full_ranking(capped: Catalog) -> None:
    # 手机 (text), sj (initials), shouji (pinyin), s and pro (most of the catalogue), several words, and deep pages
    # whose hits a walk of the best sellers does not reach (read in full then).
    queries = ["手机", "sj", "shouji", "s", "pro", "华为 手机", "xiaomi shouji", "手机壳", *[q for q, _ in QUERIES]]
    bounded = 0
    for q in queries:
        for size, number in [(20, 1), (20, 2), (20, 4), (3, 1), (50, 3)]:
            every = await page(capped, q, size, number, EVERY_HIT)
            capped_page = await page(capped, q, size, number, CAP)
            assert [i for i, _, _ in capped_page] == [i for i, _, _ in every], (q, size, number)
            if capped_page and not capped_page[0][2]:
                bounded += 1
                assert capped_page[0][1] == CAP and every[0][1] > CAP and every[0][2]
            elif capped_page:
                assert capped_page[0][1] == every[0][1], (q, size, number)  # counted to the end
    assert bounded > 20  # the bounded read was what the comparison exercised


async def test_an_exact_match_that_never_sold_beats_popular_weak_matches(capped: Catalog) -> None:
    # `sj` holds the initials of ≈ 300 names (华为 … 手机, 数据线 …), ranked by sales; the first holds the text, the
    # second starts with them. The mop's pinyin holds s-j across two words (tuobasjiahou): no reason to rank it
    # above them, however well it sells (it used to, at 0.9: a 1-2 letter query is not matched as pinyin).
    exact, _ = await capped.product("SJ 手机支架", sold=0)
    prefix, _ = await capped.product("手机壳 透明", sold=1)
    mop, _ = await capped.product("虎牌 拖把S 加厚", sold=150_000)
    resp = await capped.client.get("/search", params={"q": "sj", "page_size": 50})
    body = await resp.json()
    ids = [p["id"] for p in body["items"]]
    assert ids[:2] == [exact, prefix] and mop in ids[2:]
    assert (body["total"], body["total_exact"]) == (CAP, False)  # more than CAP hits: not counted to the end


async def test_the_total_is_exact_up_to_the_cap_and_flagged_above_it(capped: Catalog) -> None:
    resp = await capped.client.get("/search", params={"q": "蚕丝被"})  # one of the bedding nouns: fewer than CAP
    few = await resp.json()
    assert few["total_exact"] is True and 0 < few["total"] <= CAP
    resp = await capped.client.get("/search", params={"q": "手机", "page": 2})
    many = await resp.json()
    assert (many["total"], many["total_exact"], len(many["items"])) == (CAP, False, 20)
    resp = await capped.client.get("/search", params={"q": "手机", "page": 1000, "page_size": 50})
    assert await resp.json() == {"items": [], "total": CAP, "total_exact": False}  # past the last page


PAGE_SHAPES = [(20, 1), (20, 2), (3, 1), (1, 1), (50, 3), (50, 40)]  # (page size, page number)


async def same_pages_as_every_hit_ranked(capped: Catalog, plan: SearchPlan,
                                         read: Callable[[SearchPlan, int, int, int], tuple[str, list[object]]]
                                         ) -> None:
    """`read` (words_query or keys_query, with no cap) gives every page shape the ids, scores and exact `total`
    that ranking every hit the trigram and grams indexes find gives (search_query)."""
    total = None
    for size, number in PAGE_SHAPES:
        offset = (number - 1) * size
        async with capped.db.transaction() as tx:
            query, args = read(plan, size, offset, EVERY_HIT)
            listed = await tx.conn.fetch(query, *args)
            query, args = search.search_query(plan, size, offset, search.AS_TYPED, None)
            every = await tx.conn.fetch(query, *args)
        assert not listed[0]["crowded"] and all(r["total_exact"] for r in listed)
        assert [(r["id"], r["score"]) for r in listed if r["id"] is not None] == \
            [(r["id"], r["score"]) for r in every], (plan.text, size, number)
        if number == 1:
            total = every[0]["total"] if every else 0
        assert {r["total"] for r in listed} == {total}, (plan.text, size, number)


async def test_a_chinese_word_read_from_its_words_gives_the_full_rankings_page(capped: Catalog) -> None:
    """A Chinese word's hits listed by product_search_words (search.words_query, no heap page per hit): the same
    pages and totals as ranking every hit the trigram and grams indexes find."""
    queries = ["手机", "耳机", "机", "手机壳", "华为", "充电", "小米14", "没有这个词",
               *[q for q, _ in QUERIES if has_chinese(q) and " " not in q]]
    for q in queries:
        plan = plan_search(q)
        assert search.by_words_applies(plan, search.AS_TYPED)
        await same_pages_as_every_hit_ranked(capped, plan, search.words_query)
    async with capped.db.transaction() as tx:  # one word lists more than the cap: more hits, for certain
        query, args = search.words_query(plan_search("手机"), 20, 0, CAP)
        row = (await tx.conn.fetch(query, *args))[0]
        assert row["crowded"] and row["many"]


async def test_a_word_listed_more_than_the_cap_counts_its_products_once(capped: Catalog) -> None:
    # 耳机 is in several words of the same products (the category 耳机音箱 and 蓝牙耳机 …): more listings than the
    # largest word's products, as many products. The bounded read counts them, and the total stays exact.
    async with capped.db.transaction() as tx:
        largest = await tx.conn.fetchval(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM product_search_words WHERE word LIKE '%耳机%' "
            "GROUP BY word) c")
        query, args = search.words_query(plan_search("耳机"), 20, 0, largest)
        row = (await tx.conn.fetch(query, *args))[0]
    assert row["crowded"] and not row["many"]
    every = await page(capped, "耳机", 20, 1, EVERY_HIT)
    assert every[0][1:] == (largest, True)  # (the category's products hold every other 耳机 word)
    assert await page(capped, "耳机", 20, 1, largest) == every


async def test_a_latin_word_read_from_its_keys_gives_the_full_rankings_page(capped: Catalog) -> None:
    """A Latin word's text, pinyin and initials hits listed by product_search_words and product_search_keys
    (search.keys_query, no heap page per hit): the same pages, scores and totals as ranking every hit the trigram
    and grams indexes find. Pinyin across two words (`jishou`: 手机 手…), mid-syllable (`houji`), initials as a
    prefix and inside, digits, a 12-letter pinyin (the longest listed)."""
    queries = ["sj", "shouji", "s", "pro", "houji", "jishou", "hw", "hwsj", "iphone", "x7", "14", "kongqizhaguo",
               "zhiniaoku", "pbj", "bwb", "mate60", "qqqq", "a_b", "50%",
               *[q for q, _ in QUERIES if not has_chinese(q) and " " not in q]]
    crowded = 0
    for q in queries:
        plan = plan_search(q)
        assert search.by_keys_applies(plan, search.AS_TYPED), q
        await same_pages_as_every_hit_ranked(capped, plan, search.keys_query)
        async with capped.db.transaction() as tx:
            for size, number in PAGE_SHAPES:
                query, args = search.keys_query(plan, size, (number - 1) * size, CAP)
                crowded += (await tx.conn.fetch(query, *args))[0]["crowded"]
    assert crowded > 20  # the common ones are left to the ranked and bounded reads (compared above)
    async with capped.db.transaction() as tx:  # more products than the cap among the first listed: for certain
        for q in ["sj", "shouji"]:
            query, args = search.keys_query(plan_search(q), 20, 0, CAP)
            row = (await tx.conn.fetch(query, *args))[0]
            assert row["crowded"] and row["many"], q


async def test_the_keys_follow_every_write(capped: Catalog) -> None:
    """product_search_keys lists exactly the suffixes of each findable product's keys with its sales tier, after a
    new product, a rename, a sale that doubles sales, and a product taken off sale."""
    renamed, _ = await capped.product("虎牌 拖把 加厚", sold=3)
    taken_off, _ = await capped.product("膳魔师 保温杯", sold=5)
    await capped.product("纸尿裤 XL", sold=0)
    async with capped.db.transaction() as tx:
        await commands.save_product(tx, commands.ProductDraft(
            id=renamed, merchant_id=MERCHANT, name="象印 电饭煲", category_id=None,
            skus=[commands.SkuDraft(specs={"规格": "标准"}, price_fen=1000, stock=10)]))
        await tx.conn.execute("UPDATE products SET sold = 1000 WHERE id = $1", renamed)
        await tx.conn.execute("UPDATE products SET active = false WHERE id = $1", taken_off)
    async with capped.db.transaction() as tx:
        differ = await tx.conn.fetchval("""
            SELECT count(*) FROM (
                (SELECT key, id, sales_tier FROM product_search_keys
                 EXCEPT ALL SELECT k, p.id, p.sales_tier FROM product_search p,
                            unnest(product_search_key_list(p.pinyin, p.initials)) k)
                UNION ALL
                (SELECT k, p.id, p.sales_tier FROM product_search p,
                        unnest(product_search_key_list(p.pinyin, p.initials)) k
                 EXCEPT ALL SELECT key, id, sales_tier FROM product_search_keys)) d""")
        rows = await tx.conn.fetch("SELECT key, sales_tier FROM product_search_keys WHERE id = $1 ORDER BY key",
                                   renamed)
    assert differ == 0
    assert ("Ixydfb", 10) in [(r["key"], r["sales_tier"]) for r in rows]  # 象印 电饭煲, 1,000 sold: tier 10
    assert not [r for r in rows if r["key"].startswith("ptuoba")]
