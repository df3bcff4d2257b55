"""Search, suggestions, popular queries and per-user search history."""

from __future__ import annotations

import asyncpg

from services.catalog.domain import SearchPlan, has_chinese, like_escape
from services.catalog.store import Conn
from services.catalog.store.catalogue import CARD

# The query is built from the branches that apply to this query, each one an indexed condition, so PostgreSQL
# ORs their bitmaps instead of scanning the table (migration 0010_search_scale): LIKE '%x%' on a needle of 3+
# characters and the fuzzy `<%` (word similarity above the transaction's threshold) use the pg_trgm GIN indexes;
# a 1- or 2-character needle (`手机`, the initials `sj`) uses the GIN index of its 1-2 character grams.
# Ranking is unchanged: a substring hit on the text first (1.0), every word of a several-word query (0.95),
# pinyin (0.9), initials (0.85 as a prefix, else 0.8), then trigram closeness (at most 0.7); ties by sales.
# Only the page's rows are turned into cards.
SHORT = 3  # below this many characters a needle has no trigram
# A search goes in steps and stops at the first that finds anything, as a shop's "did you mean": as typed
# (substring of the text, every word, and for a Latin query its pinyin or initials), then for a Chinese query its
# pinyin (sounds-alike: 保温被 finds 保温杯), then typos (trigram closeness). A later step's matches rank below an
# earlier one's anyway; skipping them saves reading the pinyin index (costlier than the text's) and checking
# trigram closeness row by row on every candidate, thousands when the query holds a common word (`xiaomi` is
# close to every 小米). Decided on a step's whole count, so every page of a query agrees on its total.


class _Sql:
    """Parameters in order, so each condition names its values once."""

    def __init__(self) -> None:
        self.args: list[object] = []

    def arg(self, value: object, cast: str = "text") -> str:
        self.args.append(value)
        return f"${len(self.args)}::{cast}"

    def contains(self, column: str, needle: str) -> str:
        """`column` holds `needle` (literal text) anywhere, by the index that can serve it."""
        like = f"p.{column} LIKE {self.arg(f'%{like_escape(needle)}%')}"
        grams = {"search_text": "text_grams", "initials": "initials_grams"}.get(column)
        if len(needle) >= SHORT or grams is None:  # (a 1-2 letter pinyin is never a branch of its own)
            return like
        return f"(p.{grams} @> ARRAY[{self.arg(needle)}] AND {like})"


AS_TYPED, SOUNDS_ALIKE, TYPOS = 0, 1, 2  # the steps of a search, each adding kinds of match


def search_query(plan: SearchPlan, limit: int, offset: int, step: int) -> tuple[str, list[object]]:
    sql = _Sql()
    fuzzy = step >= TYPOS
    text_hit = sql.contains("search_text", plan.text)
    branches = [text_hit]
    scores = [f"CASE WHEN {text_hit} THEN 1.0 ELSE 0 END"]
    if fuzzy:
        branches.append(f"{sql.arg(plan.text)} <% p.search_text")
        scores.append(f"word_similarity({sql.arg(plan.text)}, p.search_text) * 0.7")
    if plan.words:
        every = " AND ".join(f"({sql.contains('search_text', t)} OR {sql.contains('pinyin', p)})"
                             if len(p) >= SHORT else sql.contains("search_text", t) for t, p in plan.words)
        branches.append(f"({every})")
        scores.append(f"CASE WHEN {every} THEN 0.95 ELSE 0 END")
    if plan.pinyin and (step >= SOUNDS_ALIKE or not has_chinese(plan.text)):
        pinyin_hit = sql.contains("pinyin", plan.pinyin)
        # A 1-2 letter query would find the pinyin of most names: as Latin letters it is matched as initials.
        if len(plan.pinyin) >= SHORT:
            branches.append(pinyin_hit)
        scores.append(f"CASE WHEN {pinyin_hit} THEN 0.9 ELSE 0 END")
        if fuzzy:
            if len(plan.pinyin) >= 4:
                branches.append(f"{sql.arg(plan.pinyin)} <% p.pinyin")
            scores.append(f"word_similarity({sql.arg(plan.pinyin)}, p.pinyin) * 0.6")
    if plan.initials:
        initials_hit = sql.contains("initials", plan.initials)
        branches.append(initials_hit)
        prefix = sql.arg(f"{like_escape(plan.initials)}%")
        scores.append(f"CASE WHEN p.initials LIKE {prefix} THEN 0.85 WHEN {initials_hit} THEN 0.8 ELSE 0 END")
    query = f"""
WITH hits AS (
    SELECT p.id, p.sold, greatest({", ".join(scores)}) AS score
    FROM products p
    WHERE p.active AND ({" OR ".join(branches)})
      AND EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.sellable)
), page AS (
    SELECT id, score, count(*) OVER () AS total FROM hits
    ORDER BY score DESC, sold DESC, id LIMIT {sql.arg(limit, "int")} OFFSET {sql.arg(offset, "int")}
)
SELECT card.*, page.score, page.total
FROM page JOIN ({CARD}) card ON card.id = page.id
ORDER BY page.score DESC, card.sold DESC, card.id
"""
    return query, sql.args


async def search_products(conn: asyncpg.Connection, plan: SearchPlan, limit: int, offset: int,
                          threshold: float) -> list[asyncpg.Record]:
    """Run inside a transaction (the settings below hold for it only). Plans are made for the values at hand:
    a generic plan cannot tell a 2-character needle from a long one."""
    # The planner prices the trigram GIN indexes high and `<%` low, and would rather test every row (a scan of
    # the whole table: 100 ms to seconds at 100,000 products); the indexes find the few candidates in a few ms.
    # No parallel workers: many searches at once already keep every core busy.
    await conn.execute("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                       "set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), "
                       "set_config('max_parallel_workers_per_gather', '0', true), "
                       "set_config('pg_trgm.word_similarity_threshold', $1, true)", str(threshold))
    steps = [AS_TYPED, SOUNDS_ALIKE, TYPOS] if has_chinese(plan.text) else [AS_TYPED, TYPOS]
    for step in steps[:-1]:
        rows = await _fetch(conn, plan, limit, offset, step)
        found = rows[0]["total"] if rows else 0
        if not rows and offset:  # past the last page: the first page says how many hits there are
            first = await _fetch(conn, plan, 1, 0, step)
            found = first[0]["total"] if first else 0
        if found:
            return rows
    return await _fetch(conn, plan, limit, offset, steps[-1])


async def _fetch(conn: asyncpg.Connection, plan: SearchPlan, limit: int, offset: int,
                 step: int) -> list[asyncpg.Record]:
    query, args = search_query(plan, limit, offset, step)
    return await conn.fetch(query, *args)


SUGGEST_NAMES = """
SELECT name FROM products p
WHERE active AND (search_text LIKE $1 OR ($2 <> '' AND pinyin LIKE $2 || '%')
                  OR ($3::text IS NOT NULL AND initials LIKE $3 || '%'))
  AND NOT EXISTS (SELECT 1 FROM blocked_terms b WHERE strpos(lower(p.name), b.term) > 0
                  AND (b.merchant_id IS NULL OR b.merchant_id = p.merchant_id))
ORDER BY sold DESC, id LIMIT $4
"""

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


async def suggest_names(conn: Conn, text_like: str, pinyin_prefix: str, initials: str | None,
                        limit: int) -> list[str]:
    return [r["name"] for r in await conn.fetch(SUGGEST_NAMES, text_like, pinyin_prefix, initials, limit)]


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
