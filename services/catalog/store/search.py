"""Search, suggestions, popular queries and per-user search history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from services.catalog.domain import SearchPlan, has_chinese, like_escape, plan_search
from services.catalog.store import Conn
from services.catalog.store.catalogue import CARD

# The query is built from the branches that apply to this query, each one an indexed condition, so PostgreSQL
# ORs their bitmaps instead of scanning the table (migrations 0010_search_scale, 0015_search_table: it reads
# product_search, its own copy of what it needs of each product a buyer can find): LIKE '%x%' on a
# needle of 3+ characters uses the pg_trgm GIN indexes; a 1- or 2-character needle (`手机`, the initials `sj`)
# uses the GIN index of its 1-2 character grams. Ranking: a substring hit on the text first (1.0), every word of
# a several-word query (0.95), pinyin of 3+ letters (0.9), initials (0.85 as a prefix, else 0.8); ties by sales,
# then id. Only the page's rows are turned into cards.
# A common word's thousands of hits are not each read and ranked (`sj` 15,815, `手机` 13,297 at 100,000
# products): every hit is ranked while there are at most the count cap (one statement, most queries); past it,
# the bounded read gives the same page from each kind of match's best sellers (_bounded), and the total says
# "more than the cap". A Chinese query of one word is read first from product_search_words (words_query): a
# btree of each text word's products with their sales tier, so its ≈ 1,000 hits are counted and ranked without
# a heap page each; a Latin query of one word the same (keys_query), its pinyin and initials from
# product_search_keys, the btree of their keys' suffixes.
SHORT = 3  # below this many characters a needle has no trigram
# A search goes in steps and stops at the first that finds anything, as a shop's "did you mean": as typed
# (substring of the text, every word, and for a Latin query its pinyin or initials), then for a Chinese query its
# pinyin (sounds-alike: 保温被 finds 保温杯), then typos: each query word no catalogue word holds is replaced by the
# closest word of search_words (trigram similarity; iphnoe -> iphone, kongqizaguo -> kongqizhaguo, a hanzi word
# by its pinyin), words with nothing close left out, and the corrected query searched as typed; last, for a
# query of several words no product holds together, the products holding most of them. A later step's matches
# rank below an earlier one's anyway; skipping them saves reading the pinyin index (costlier than the text's).
# Typos are corrected on the small table of words, not by trigram closeness to every product: that read
# thousands of candidate products and compared each one's whole pinyin (0.1-1 s a search at 100,000 products,
# the tail of bench/search.py).
# Decided on a step's whole count, so every page of a query agrees on its total.


class _Sql:
    """Parameters in order, so each condition names its values once."""

    def __init__(self) -> None:
        self.args: list[object] = []

    def arg(self, value: object, cast: str = "text") -> str:
        self.args.append(value)
        return f"${len(self.args)}::{cast}"

    def contains(self, column: str, needle: str, table: str = "p") -> str:
        """`table.column` holds `needle` (literal text) anywhere: the exact test. A needle with no trigram as
        strpos, which no index serves (a LIKE would be served by the trigram index, the whole of it, in a generic
        plan)."""
        if len(needle) < SHORT:
            return f"strpos({table}.{column}, {self.arg(needle)}) > 0"
        return f"{table}.{column} LIKE {self.arg(f'%{like_escape(needle)}%')}"

    def finds(self, column: str, needle: str) -> str:
        """What an index can answer for contains(column, needle), true of every row it is true of: the grams for a
        1-2 character needle, else the LIKE itself (pg_trgm). A query ANDs the OR of these with the OR of the
        exact tests: PostgreSQL ORs the indexes' bitmaps and, the first OR being the bitmap's own condition,
        tests only the second on the rows it reads."""
        grams = {"search_text": "text_grams", "initials": "initials_grams"}.get(column)
        if len(needle) >= SHORT or grams is None:  # (a 1-2 letter pinyin is never a branch)
            return self.contains(column, needle)
        return f"p.{grams} @> ARRAY[{self.arg(needle)}]"


TEXT_SCORE = 1.0  # the query as a substring of the text: the best match
AS_TYPED, SOUNDS_ALIKE = 0, 1  # the steps of a search on the query's own words, each adding kinds of match
SOME_WORDS = 2  # the last step of a several-word query: products holding any of its words, most words first
# The bounded read (_bounded) walks at most this many of the best sellers for a kind of match; when they hold
# fewer than a page's worth of its hits (fewer than 1 in 25 hold it, for a first page), all its hits are read.
# A common word's kind is found in the first 150-250 (`sj`, `手机`, `shouji`); a rare kind walks them all.
WALK_ROWS = 500


@dataclass(frozen=True)
class _Kind:
    """A kind of match: `finds` its rows by an index (true of every row `test` is true of; the same text when the
    test is itself indexed), `test` says exactly whether a row holds it, and a row holding it scores `score`."""

    finds: str
    test: str
    score: float


def _word_hit(test: Callable[[str, str], str], text: str, pinyin: str) -> str:
    """The word as text or pinyin; `test`: _Sql.contains or _Sql.finds."""
    return f"({test('search_text', text)} OR {test('pinyin', pinyin)})" if len(pinyin) >= SHORT \
        else test("search_text", text)


def _kinds(sql: _Sql, plan: SearchPlan, step: int) -> list[_Kind]:
    """The kinds of match of a step on the query's own words (AS_TYPED, SOUNDS_ALIKE), best first."""
    text_hit = sql.contains("search_text", plan.text)
    kinds = [_Kind(sql.finds("search_text", plan.text), text_hit, TEXT_SCORE)]
    if plan.words:
        every = f"({' AND '.join(_word_hit(sql.contains, t, p) for t, p in plan.words)})"
        kinds.append(_Kind(f"({' AND '.join(_word_hit(sql.finds, t, p) for t, p in plan.words)})", every, 0.95))
    # A 1-2 letter query would find the pinyin of most names: as Latin letters it is matched as initials only.
    if len(plan.pinyin) >= SHORT and (step >= SOUNDS_ALIKE or not has_chinese(plan.text)):
        pinyin_hit = sql.contains("pinyin", plan.pinyin)
        kinds.append(_Kind(pinyin_hit, pinyin_hit, 0.9))
    if plan.initials:
        prefix = f"p.initials LIKE {sql.arg(f'{like_escape(plan.initials)}%')}"  # pg_trgm: the key's first trigrams
        kinds.append(_Kind(prefix, prefix, 0.85))
        kinds.append(_Kind(sql.finds("initials", plan.initials), sql.contains("initials", plan.initials), 0.8))
    return kinds


def search_query(plan: SearchPlan, limit: int, offset: int, step: int, cap: int | None) -> tuple[str, list[object]]:
    """Every hit ranked: the page, with `total` counted up to `cap` + 1 (None: no cap). A total over `cap` says
    the page is not the ranking's (only the first `cap` + 1 hits found were ranked): ask bounded_query."""
    sql = _Sql()
    if step == SOME_WORDS:
        finds = [_word_hit(sql.finds, t, p) for t, p in plan.words]
        hits = [_word_hit(sql.contains, t, p) for t, p in plan.words]
        matched = " + ".join(f"CASE WHEN {hit} THEN 1 ELSE 0 END" for hit in hits)
        return _ranked(sql, finds, hits, f"({matched})::float / {len(hits)}", limit, offset, cap), sql.args
    kinds = _kinds(sql, plan, step)
    return _ranked(sql, [k.finds for k in kinds], [k.test for k in kinds], _score(kinds), limit, offset,
                   cap), sql.args


def bounded_query(plan: SearchPlan, limit: int, offset: int, step: int, cap: int,
                  over_cap: bool) -> tuple[str, list[object]]:
    """The same page as search_query without a cap for the steps on the query's own words, reading at most about
    `cap` hits of each kind of match (see _bounded)."""
    sql = _Sql()
    return _bounded(sql, _kinds(sql, plan, step), limit, offset, cap, over_cap), sql.args


def _score(kinds: list[_Kind]) -> str:
    """The best score of the kinds a row holds (a hit holds one at least)."""
    if len(kinds) == 1:
        return str(kinds[0].score)
    return f"greatest({', '.join(f'CASE WHEN {kind.test} THEN {kind.score} ELSE 0 END' for kind in kinds)})"


COLUMNS = "p.id, p.sold, p.sales_tier, p.search_text, p.pinyin, p.initials"


def _bounded(sql: _Sql, kinds: list[_Kind], limit: int, offset: int, cap: int, over_cap: bool) -> str:
    """The page of products holding any kind of match, by the best score of the kinds they hold, then sales, then
    id: the page the ranking of every hit gives, without reading every hit of a common kind.

    Each kind gives as candidates either all its hits or its best sellers: its first `offset + limit` hits
    walking the products by sales tier, and every hit of the lowest tier among those (a tier is not ordered
    within; see migration 0016). A hit left out then has `offset + limit` hits of its best kind ahead of it (a
    score as high or higher, strictly more units sold), so it is not on the page: ranking the candidates alone
    gives the full ranking's page, whichever kinds gave their best sellers.

    `over_cap`: search_query counted more than `cap` hits, so `total` is `cap` and `total_exact` false; a kind
    gives its best sellers when the first WALK_ROWS best sellers hold a page's worth of its hits. Else (a page
    beyond the cap) each kind's hits are counted up to `cap` first: only a kind with more is walked, and `total`
    is exact when none has more."""
    wanted, cap_arg = sql.arg(offset + limit, "int"), sql.arg(cap, "int")
    ctes, candidates, exact = [], [], []
    for n, kind in enumerate(kinds):
        found = kind.test if kind.finds == kind.test else f"{kind.finds} AND {kind.test}"
        walked = f"(SELECT count(*) FROM k{n}_walk)"
        # Planned for all its rows (a CTE is), so read through its index, and read only as far as asked.
        ctes.append(f"k{n} AS MATERIALIZED (SELECT {COLUMNS} FROM product_search p WHERE {found})")
        # LIMIT and OFFSET 0 keep the test out of the subqueries: their rows come off the sales tier index.
        ctes.append(f"""k{n}_walk AS MATERIALIZED (
    SELECT p.sales_tier FROM (SELECT {COLUMNS} FROM product_search p ORDER BY p.sales_tier DESC LIMIT {WALK_ROWS}) p
    WHERE {kind.test} LIMIT {wanted})""")
        ctes.append(f"""k{n}_best AS (
    SELECT * FROM (SELECT {COLUMNS} FROM product_search p
                   WHERE p.sales_tier >= (SELECT min(sales_tier) FROM k{n}_walk) OFFSET 0) p
    WHERE {kind.test})""")
        if over_cap:
            candidates += [f"SELECT * FROM k{n}_best WHERE {walked} = {wanted}",
                           f"SELECT * FROM k{n} WHERE {walked} < {wanted}"]
            exact.append("false")
        else:  # (the count first: a kind with few hits is not walked)
            many = f"(SELECT count(*) FROM (SELECT FROM k{n} LIMIT {cap_arg} + 1) c) > {cap_arg}"
            ctes.append(f"k{n}_many AS (SELECT {many} AS many)")
            candidates += [f"SELECT * FROM k{n} WHERE NOT (SELECT many FROM k{n}_many) OR {walked} < {wanted}",
                           f"SELECT * FROM k{n}_best WHERE (SELECT many FROM k{n}_many) AND {walked} = {wanted}"]
            exact.append(f"NOT (SELECT many FROM k{n}_many)")
    return f"""
WITH {", ".join(ctes)},
candidates AS ({" UNION ".join(candidates)}),
page AS (
    SELECT p.id, p.sold, {_score(kinds)} AS score FROM candidates p
    ORDER BY score DESC, p.sold DESC, p.id LIMIT {sql.arg(limit, "int")} OFFSET {sql.arg(offset, "int")}
), counted AS (
    SELECT {" AND ".join(exact)} AS total_exact
)
SELECT card.*, page.score, counted.total_exact,
       CASE WHEN counted.total_exact THEN (SELECT count(*) FROM candidates) ELSE {cap_arg} END AS total
FROM page JOIN ({CARD}) card ON card.id = page.id CROSS JOIN counted
ORDER BY page.score DESC, card.sold DESC, card.id
"""


# The page's cards, product by product through its key. Searches run generic plans (search_products), which
# cannot know a page is short and may join every product to it instead; a subquery with OFFSET is planned on its
# own, so it is the inner side of a nested loop. (The same for each row a page is read for below.)
_CARDS = f"CROSS JOIN LATERAL ({CARD} WHERE p.id = page.id OFFSET 0) card"


def by_words_applies(plan: SearchPlan, step: int) -> bool:
    """A Chinese query of one word, as typed, has one kind of match, the text (no pinyin or initials kinds, see
    _kinds), and no space: a text holds it exactly when one of the text's words does (migration 0017)."""
    return step == AS_TYPED and has_chinese(plan.text) and not plan.words


def words_query(plan: SearchPlan, limit: int, offset: int, cap: int) -> tuple[str, list[object]]:
    """The page and exact `total` of a query by_words_applies to, from the btree of product_search_words alone
    (no heap page per hit): the catalogue words holding the query (search_words, a few thousand), the products
    listed under them with their sales tier, counted; only the hits of the tiers the page reaches are read for
    their units sold, to rank them. A hit of a lower tier sold fewer units than every one of those, and they
    are `offset + limit` at least, so it is not on the page. Always one row at least: `crowded` when the
    words list more than `cap` products (counting each listing; the bounded read then answers), and `many`
    when one word alone lists more (so more than `cap` products hold the query); else the page's rows and, past
    the last page, one row with a NULL id (its `total` says how many there are)."""
    sql = _Sql()
    cap_arg, last = sql.arg(cap, "int"), sql.arg(max(offset + limit - 1, 0), "int")
    # The words holding the query (a CTE: planned on its own, so through the trigram index), or for a needle with
    # no trigram, each word tested.
    holds = sql.contains("word", plan.text, table="s")
    query = f"""
WITH words AS MATERIALIZED (
    SELECT s.word FROM search_words s WHERE {holds}
), hits AS MATERIALIZED (
    SELECT w.id, w.sales_tier FROM words s
    CROSS JOIN LATERAL (SELECT w.id, w.sales_tier FROM product_search_words w WHERE w.word = s.word OFFSET 0) w
    LIMIT {cap_arg} + 1
), page AS (
    SELECT DISTINCT p.id, p.sold FROM hits h
    CROSS JOIN LATERAL (SELECT p.id, p.sold FROM product_search p WHERE p.id = h.id OFFSET 0) p
    WHERE (SELECT count(*) FROM hits) <= {cap_arg}
      AND h.sales_tier >= coalesce((SELECT sales_tier FROM (SELECT DISTINCT id, sales_tier FROM hits) d
                                    ORDER BY sales_tier DESC OFFSET {last} LIMIT 1), 0)
    ORDER BY p.sold DESC, p.id LIMIT {sql.arg(limit, "int")} OFFSET {sql.arg(offset, "int")}
)
SELECT card.*, {TEXT_SCORE} AS score, counted.total, true AS total_exact, listed.crowded, common.many
FROM (SELECT count(*) > {cap_arg} AS crowded FROM hits) listed
CROSS JOIN LATERAL (SELECT count(DISTINCT id) AS total FROM hits WHERE NOT listed.crowded) counted
CROSS JOIN LATERAL (
    SELECT listed.crowded AND EXISTS (
        SELECT FROM words s WHERE (SELECT count(*) FROM (SELECT FROM product_search_words w WHERE w.word = s.word
                                                        LIMIT {cap_arg} + 1) c) > {cap_arg}) AS many) common
LEFT JOIN (page {_CARDS}) ON true
ORDER BY card.sold DESC, card.id
"""
    return query, sql.args


# Migration 0018 lists each pinyin key's suffixes cut to this many characters, each initials key's cut to
# INITIALS_CHARS (plan_search gives no longer initials query).
KEY_CHARS, INITIALS_CHARS = 12, 8


def by_keys_applies(plan: SearchPlan, step: int) -> bool:
    """A Latin query of one word, as typed: its text kind is a word's (no space: product_search_words, as for
    by_words_applies), and its pinyin and initials kinds fit in the suffixes product_search_keys lists."""
    return (step == AS_TYPED and not has_chinese(plan.text) and not plan.words and len(plan.pinyin) <= KEY_CHARS
            and len(plan.initials or "") <= INITIALS_CHARS)


def _after(prefix: str) -> str:
    """The first string past every string starting with `prefix`, in the byte order of UTF-8 (code points)."""
    after = ord(prefix[-1]) + 1
    after = 0xE000 if 0xD800 <= after <= 0xDFFF else min(after, 0x10FFFF)  # a character UTF-8 can hold
    return prefix[:-1] + chr(after)


def keys_query(plan: SearchPlan, limit: int, offset: int, cap: int) -> tuple[str, list[object]]:
    """The page and exact `total` of a query by_keys_applies to, from btrees alone (no heap page per hit): the
    kinds of _kinds as listings with their score, the text's from product_search_words (see words_query), the
    pinyin's and initials' from product_search_keys (a needle is in a key exactly when a listed suffix of it
    starts with the needle: a range of the btree). Each product's best score and its tier; only the hits of the
    (score, tier) the page reaches are read for their units sold: a hit below has `offset + limit` hits ahead of it
    (a better score, or as good and strictly more units sold). Always one row at least: `crowded` when the kinds
    list more than `cap` hits (the ranked or bounded read then answers, as before), and `many` when the first
    2 * `cap` + 2 listed are more than `cap` products (a product is listed under each place its keys hold the
    needle: `sj` lists 1,995 products in its first 2,001); else the page's rows and,
    past the last page, one row with a NULL id (its `total` says how many there are)."""
    sql = _Sql()
    cap_arg, last = sql.arg(cap, "int"), sql.arg(max(offset + limit - 1, 0), "int")
    holds = sql.contains("word", plan.text, table="s")  # as in words_query
    listings = [f"""SELECT w.id, w.sales_tier, {TEXT_SCORE} AS score FROM words s
        CROSS JOIN LATERAL (SELECT w.id, w.sales_tier FROM product_search_words w WHERE w.word = s.word OFFSET 0) w"""]

    def listed(key: str, score: float) -> None:
        listings.append(f"SELECT k.id, k.sales_tier, {score} FROM product_search_keys k "
                        f"WHERE k.key >= {sql.arg(key)} AND k.key < {sql.arg(_after(key))}")

    # The kinds and scores of _kinds for this step (AS_TYPED, Latin).
    if len(plan.pinyin) >= SHORT:
        listed(f"p{plan.pinyin}", 0.9)
    if plan.initials:
        listed(f"I{plan.initials}", 0.85)
        listed(f"i{plan.initials}", 0.8)
    union = "\n        UNION ALL ".join(listings)
    query = f"""
WITH words AS MATERIALIZED (
    SELECT s.word FROM search_words s WHERE {holds}
), hits AS MATERIALIZED (
    SELECT * FROM ({union}) h LIMIT {cap_arg} + 1
), ranked AS MATERIALIZED (
    SELECT id, max(score) AS score, max(sales_tier) AS sales_tier FROM hits
    WHERE (SELECT count(*) FROM hits) <= {cap_arg} GROUP BY id
), page AS (
    SELECT p.id, p.sold, r.score FROM ranked r
    CROSS JOIN LATERAL (SELECT p.id, p.sold FROM product_search p WHERE p.id = r.id OFFSET 0) p
    WHERE (r.score, r.sales_tier) >= ALL (SELECT score, sales_tier FROM ranked
                                          ORDER BY score DESC, sales_tier DESC OFFSET {last} LIMIT 1)
    ORDER BY r.score DESC, p.sold DESC, p.id LIMIT {sql.arg(limit, "int")} OFFSET {sql.arg(offset, "int")}
)
SELECT card.*, page.score, counted.total, true AS total_exact, listed.crowded, common.many
FROM (SELECT count(*) > {cap_arg} AS crowded FROM hits) listed
CROSS JOIN (SELECT count(*) AS total FROM ranked) counted
CROSS JOIN LATERAL (SELECT count(DISTINCT id) > {cap_arg} AS many
                    FROM (SELECT h.id FROM ({union}) h WHERE listed.crowded LIMIT 2 * {cap_arg} + 2) h) common
LEFT JOIN (page {_CARDS}) ON true
ORDER BY page.score DESC, card.sold DESC, card.id
"""
    return query, sql.args


def _ranked(sql: _Sql, finds: list[str], hits: list[str], score: str, limit: int, offset: int,
            cap: int | None) -> str:
    """The page of products meeting any of `hits` (each found by the index condition of the same place in
    `finds`), by `score`, then sales, then id, of the first `cap` + 1 hits found (all without a cap); `total`
    counts them. product_search holds only products a buyer can find, on few pages (migration 0015)."""
    # (`IS TRUE`: the exact tests are no index condition, so the plan reads each index once, for `finds`.)
    found = " OR ".join(hits) if finds == hits else f"({' OR '.join(finds)}) AND ({' OR '.join(hits)}) IS TRUE"
    # Planned for all its rows (a CTE is): read through the indexes, and only as far as the cap. The count reads
    # the CTE's rows again rather than a window keeping a copy of them (3 % of the CPU of a 1,000-hit search).
    capped = f"(SELECT * FROM hits LIMIT {sql.arg(cap, 'int')} + 1)" if cap is not None else "hits"
    return f"""
WITH hits AS MATERIALIZED (
    SELECT p.id, p.sold, {score} AS score FROM product_search p WHERE {found}
), page AS (
    SELECT id, score FROM {capped} hits
    ORDER BY score DESC, sold DESC, id LIMIT {sql.arg(limit, "int")} OFFSET {sql.arg(offset, "int")}
)
SELECT card.*, page.score, (SELECT count(*) FROM {capped} hits) AS total, true AS total_exact
FROM page {_CARDS}
ORDER BY page.score DESC, card.sold DESC, card.id
"""


async def search_products(conn: asyncpg.Connection, plan: SearchPlan, limit: int, offset: int,
                          threshold: float, cap: int) -> list[asyncpg.Record]:
    """Run inside a transaction (the settings below hold for it only). A statement is planned once per
    connection (a generic plan), not for each search: planning cost 0.2-0.5 ms of CPU, as much as a rare word's
    whole search. Its text already says which index serves each condition (a 1-2 character needle is a grams
    condition, a longer one a trigram LIKE: _Sql.finds), and an exact test no index should serve is written so
    that none can (_Sql.contains, `IS TRUE` in _ranked): a generic plan read `LIKE '%奶粉%'` through the whole
    trigram index (300 ms). Only the bounded read is planned for its values (_fetch). `threshold`: the trigram
    similarity a misspelt word must reach to the catalogue word it is corrected to; `cap`: the hits counted and
    ranked one by one, past which the bounded read answers (_fetch). Each row has the page's `total` and
    `total_exact`."""
    # The planner prices the trigram GIN indexes high, and would rather test every row (a scan of the whole
    # table: 100 ms to seconds at 100,000 products); the indexes find the few candidates in a few ms.
    # No parallel workers: many searches at once already keep every core busy. No JIT: a scan turned off costs
    # 10^10 to the planner, and a plan holding one (the few blocked terms) would be compiled, seconds of CPU.
    # The threshold is for `%` in correct_typos.
    await conn.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', true), "
                       "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true), "
                       "set_config('max_parallel_workers_per_gather', '0', true), "
                       "set_config('pg_trgm.similarity_threshold', $1, true)", str(threshold))
    rows = await _first_step_that_finds(conn, plan, limit, offset, cap)
    if rows is not None:
        return rows
    corrected = await correct_typos(conn, plan)
    if corrected is not None:
        rows = await _first_step_that_finds(conn, corrected, limit, offset, cap)
        if rows is not None:
            return rows
    # No product holds every word: those holding most of them (a buyer's 华为 苹果 shows both brands).
    return await _first_step_that_finds(conn, corrected or plan, limit, offset, cap, [SOME_WORDS]) or []


async def _first_step_that_finds(conn: asyncpg.Connection, plan: SearchPlan, limit: int, offset: int, cap: int,
                                 steps: list[int] | None = None) -> list[asyncpg.Record] | None:
    """The page of the first step that finds anything (empty past its last page); None when none does."""
    if steps is None:
        steps = [AS_TYPED, SOUNDS_ALIKE] if has_chinese(plan.text) else [AS_TYPED]
    elif not plan.words:
        return None
    for step in steps:
        rows = await _fetch(conn, plan, limit, offset, cap, step)
        found = rows[0]["total"] if rows else 0
        if not rows and offset:  # past the last page: the first page says how many hits there are
            first = await _fetch(conn, plan, 1, 0, cap, step)
            found = first[0]["total"] if first else 0
        if found:
            return rows
    return None


async def _fetch(conn: asyncpg.Connection, plan: SearchPlan, limit: int, offset: int, cap: int,
                 step: int) -> list[asyncpg.Record]:
    """A Chinese word from product_search_words while it lists at most `cap` products (words_query), a Latin
    word from it and product_search_keys while they list at most `cap` hits (keys_query); else every hit ranked
    while there are at most `cap` (one statement, most queries); past the cap, or for a page beyond it, the
    bounded read. The last step (most words) ranks every hit."""
    if step == SOME_WORDS:
        query, args = search_query(plan, limit, offset, step, None)
        return await conn.fetch(query, *args)
    over_cap = False
    if by_words_applies(plan, step):
        query, args = words_query(plan, limit, offset, cap)
        rows = await conn.fetch(query, *args)
        if not rows[0]["crowded"]:
            return [row for row in rows if row["id"] is not None]
        # More than `cap` hits for certain when one word lists more; else the bounded read counts them.
        over_cap = rows[0]["many"]
    else:
        if by_keys_applies(plan, step):  # (its pinyin and initials too from btrees, while they list few hits)
            query, args = keys_query(plan, limit, offset, cap)
            rows = await conn.fetch(query, *args)
            if not rows[0]["crowded"]:
                return [row for row in rows if row["id"] is not None]
            # More than `cap` hits for certain, as search_query would count (`sj`, `shouji`): no need to count them.
            over_cap = rows[0]["many"] and offset + limit <= cap
        if not over_cap and offset + limit <= cap:
            query, args = search_query(plan, limit, offset, step, cap)
            rows = await conn.fetch(query, *args)
            if not rows or rows[0]["total"] <= cap:
                return rows  # (none at all, or past the last page)
            over_cap = True
    # Its plan for the values at hand: a generic one walks the sales tiers badly (`sj` 40 ms instead of 8).
    await conn.execute("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
    query, args = bounded_query(plan, limit, offset, step, cap, over_cap)
    return await conn.fetch(query, *args)


# Per query word: itself when some catalogue word holds it; else, unless it is too short to correct, the
# closest catalogue word to it (`%`: similarity above the transaction's pg_trgm.similarity_threshold, by the
# trigram index); else NULL. A hanzi word is compared by its pinyin: a typo of one is most often a homophone.
CORRECTED = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM search_words w WHERE w.word LIKE q.held) THEN q.word
            WHEN length(q.word) >= 3 THEN
                (SELECT w.word FROM search_words w WHERE w.word % q.compared
                 ORDER BY similarity(w.word, q.compared) DESC, w.word LIMIT 1) END AS word
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS q(word, held, compared, n)
ORDER BY q.n
"""


async def correct_typos(conn: asyncpg.Connection, plan: SearchPlan) -> SearchPlan | None:
    """The query with its misspelt words corrected and the words with no close catalogue word left out (a
    buyer who adds 包邮 or a stray word still finds the goods the other words name); None when nothing changed
    or no word is left."""
    words = plan.words or ((plan.text, plan.pinyin),)
    rows = await conn.fetch(CORRECTED, [t for t, _ in words], [f"%{like_escape(t)}%" for t, _ in words],
                            [p if has_chinese(t) and p else t for t, p in words])
    fixed = [r["word"] for r in rows if r["word"] is not None]
    if not fixed or fixed == [t for t, _ in words]:
        return None
    return plan_search(" ".join(fixed))


def suggest_query(plan: SearchPlan, limit: int) -> tuple[str, list[object]]:
    """Names that start as typed: Chinese anywhere in the text, Latin letters as the start of the text, of the
    pinyin or of the initials. Only the branches that apply, each served by an index (the trigram or grams index
    for Chinese, btree prefixes of migration 0012_search_words for the rest), so PostgreSQL ORs their bitmaps."""
    sql = _Sql()

    def starts(column: str, prefix: str) -> str:
        # As a range of the btree's byte order (UTF-8 keeps code point order), not LIKE 'x%': the planner would
        # serve a 1-2 letter LIKE prefix from the trigram index, which then reads most of the table.
        after = ord(prefix[-1]) + 1
        after = 0xE000 if 0xD800 <= after <= 0xDFFF else min(after, 0x10FFFF)  # a character UTF-8 can hold
        end = prefix[:-1] + chr(after)
        return f"(p.{column} ~>=~ {sql.arg(prefix)} AND p.{column} ~<~ {sql.arg(end)})"

    if has_chinese(plan.text):
        text_finds, text_hit = sql.finds("search_text", plan.text), sql.contains("search_text", plan.text)
    else:
        text_finds = text_hit = starts("search_text", plan.text)
    prefixes = [starts("pinyin", plan.pinyin)] if plan.pinyin else []
    prefixes += [starts("initials", plan.initials)] if plan.initials else []
    finds, hits = " OR ".join([text_finds, *prefixes]), " OR ".join([text_hit, *prefixes])
    found = f"({hits})" if finds == hits else f"({finds}) AND ({hits})"
    query = f"""
SELECT name FROM products p
WHERE p.active AND {found}
  AND NOT EXISTS (SELECT 1 FROM blocked_terms b WHERE strpos(lower(p.name), b.term) > 0
                  AND (b.merchant_id IS NULL OR b.merchant_id = p.merchant_id))
ORDER BY p.sold DESC, p.id LIMIT {sql.arg(limit, "int")}
"""
    return query, sql.args


# A one-character prefix starts thousands of names (`b`: 6,500 of 100,000), every one read and sorted by sales for
# ten suggestions; from two characters on a prefix names few enough. One character gets popular queries only.
SUGGEST_NAMES_FROM = 2


async def suggest_names(conn: asyncpg.Connection, plan: SearchPlan, limit: int) -> list[str]:
    """Run inside a transaction: a plan for the values at hand, no scans of every product, no JIT (see
    search_products). Nothing for a query shorter than SUGGEST_NAMES_FROM characters."""
    if len(plan.text) < SUGGEST_NAMES_FROM:
        return []
    await conn.execute("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                       "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
    query, args = suggest_query(plan, limit)
    return [r["name"] for r in await conn.fetch(query, *args)]


# A popular query is offered once enough distinct buyers searched it, unless it holds a term the platform
# blocked, or one blocked by a merchant whose products the query found.
POPULAR = """
SELECT q FROM search_queries sq
WHERE (q LIKE $1 OR ($2 <> '' AND pinyin LIKE $2 || '%')) AND buyers >= $4
  AND NOT EXISTS (
      SELECT 1 FROM blocked_terms b WHERE strpos(sq.q, b.term) > 0
      AND (b.merchant_id IS NULL OR EXISTS (
          SELECT 1 FROM search_query_merchants m WHERE m.q = sq.q AND m.merchant_id = b.merchant_id)))
ORDER BY buyers DESC, last_at DESC LIMIT $3
"""


async def popular_queries(conn: Conn, prefix_like: str, pinyin_prefix: str, limit: int,
                          min_buyers: int) -> list[str]:
    rows = await conn.fetch(POPULAR, prefix_like, pinyin_prefix, limit, min_buyers)
    return [r["q"] for r in rows]


async def first_search_by(conn: asyncpg.Connection, q: str, user_id: str) -> bool:
    """True the first time this buyer searches q (with hits); a query counts once per buyer."""
    return bool(await conn.fetchval(
        "INSERT INTO search_query_buyers (q, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        q, user_id))


async def count_query(conn: asyncpg.Connection, q: str, pinyin: str) -> None:
    """One more distinct buyer searched q."""
    await conn.execute(
        "INSERT INTO search_queries (q, pinyin, times, buyers) VALUES ($1, $2, 1, 1) "
        "ON CONFLICT (q) DO UPDATE SET times = search_queries.times + 1, buyers = search_queries.buyers + 1, "
        "last_at = now()", q, pinyin)


async def note_query_merchants(conn: asyncpg.Connection, q: str, product_ids: list[str]) -> None:
    """The merchants whose products q found (their blocked terms then apply to q)."""
    await conn.execute(
        "INSERT INTO search_query_merchants (q, merchant_id) "
        "SELECT DISTINCT $1, merchant_id FROM products WHERE id = ANY($2::text[]) ON CONFLICT DO NOTHING",
        q, product_ids)


# --- blocked terms (merchant_id None: the platform's) -------------------------------------------------


async def add_blocked_term(conn: Conn, term_id: str, merchant_id: str | None, term: str) -> asyncpg.Record:
    """Blocking a term again answers the row there is."""
    row = await conn.fetchrow(
        "INSERT INTO blocked_terms (id, merchant_id, term) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING "
        "RETURNING id, merchant_id, term, created_at", term_id, merchant_id, term)
    if row is not None:
        return row
    found = await conn.fetchrow(
        "SELECT id, merchant_id, term, created_at FROM blocked_terms "
        "WHERE merchant_id IS NOT DISTINCT FROM $1 AND term = $2", merchant_id, term)
    assert found is not None
    return found


async def blocked_terms(conn: Conn, merchant_id: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, merchant_id, term, created_at FROM blocked_terms WHERE merchant_id IS NOT DISTINCT FROM $1 "
        "ORDER BY created_at DESC, id", merchant_id)


async def remove_blocked_term(conn: Conn, merchant_id: str | None, term_id: str) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM blocked_terms WHERE id = $1 AND merchant_id IS NOT DISTINCT FROM $2 RETURNING true",
        term_id, merchant_id))


async def remove_blocked_term_text(conn: Conn, merchant_id: str | None, term: str) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM blocked_terms WHERE term = $1 AND merchant_id IS NOT DISTINCT FROM $2 RETURNING true",
        term, merchant_id))


async def remember_search(conn: asyncpg.Connection, user_id: str, q: str) -> None:
    """Newest first and de-duplicated: searching again moves the query to the top."""
    await conn.execute(
        "INSERT INTO search_history (user_id, q, at) VALUES ($1, $2, clock_timestamp()) "
        "ON CONFLICT (user_id, q) DO UPDATE SET at = EXCLUDED.at", user_id, q)


async def trim_history(conn: asyncpg.Connection, user_id: str, keep: int) -> None:
    await conn.execute(
        "DELETE FROM search_history WHERE user_id = $1 AND q IN ("
        "SELECT q FROM search_history WHERE user_id = $1 ORDER BY at DESC, q OFFSET $2)", user_id, keep)


async def search_history(conn: Conn, user_id: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT q, at FROM search_history WHERE user_id = $1 ORDER BY at DESC, q LIMIT $2", user_id, limit)


async def clear_history(conn: Conn, user_id: str) -> None:
    await conn.execute("DELETE FROM search_history WHERE user_id = $1", user_id)


# --- hot words: the curated list, then queries many distinct buyers searched (blocked terms never) -----

HOT = """
SELECT q FROM search_queries sq
WHERE buyers >= $1
  AND NOT EXISTS (
      SELECT 1 FROM blocked_terms b WHERE strpos(sq.q, b.term) > 0
      AND (b.merchant_id IS NULL OR EXISTS (
          SELECT 1 FROM search_query_merchants m WHERE m.q = sq.q AND m.merchant_id = b.merchant_id)))
ORDER BY buyers DESC, last_at DESC, q LIMIT $2
"""


async def hot_queries(conn: Conn, min_buyers: int, limit: int) -> list[str]:
    return [r["q"] for r in await conn.fetch(HOT, min_buyers, limit)]


async def curated_words(conn: Conn) -> list[str]:
    return [r["word"] for r in await conn.fetch("SELECT word FROM hot_words ORDER BY position, word")]


async def replace_curated_words(conn: asyncpg.Connection, words: list[str]) -> None:
    await conn.execute("DELETE FROM hot_words")
    await conn.executemany("INSERT INTO hot_words (word, position) VALUES ($1, $2)",
                           [(w, i) for i, w in enumerate(words)])


async def counted_today(conn: asyncpg.Connection, user_id: str) -> int:
    """How many queries this buyer started counting towards in the last day."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM search_query_buyers WHERE user_id = $1 AND at > now() - interval '1 day'", user_id))
