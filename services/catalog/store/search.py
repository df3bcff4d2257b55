"""Search, suggestions, popular queries and per-user search history."""

from __future__ import annotations

import asyncpg

from services.catalog.store import Conn
from services.catalog.store.catalogue import CARD

# Fuzzy matches use pg_trgm's `<%` (word similarity above the transaction's threshold), which the GIN
# indexes serve. A substring hit on the text ranks first, then pinyin and initials, then trigram closeness.
SEARCH = f"""
WITH hits AS (
    SELECT p.id,
        greatest(
            CASE WHEN p.search_text LIKE $2 THEN 1.0 ELSE 0 END,
            CASE WHEN p.pinyin LIKE $4 THEN 0.9 ELSE 0 END,
            CASE WHEN $5::text IS NOT NULL AND p.initials LIKE $5 || '%' THEN 0.85
                 WHEN $5::text IS NOT NULL AND p.initials LIKE '%' || $5 || '%' THEN 0.8 ELSE 0 END,
            word_similarity($1, p.search_text) * 0.7,
            word_similarity($3, p.pinyin) * 0.6,
            CASE WHEN cardinality($8::text[]) > 0 AND every_word.found THEN 0.95 ELSE 0 END
        ) AS score
    FROM products p
    CROSS JOIN LATERAL (
        SELECT coalesce(bool_and(p.search_text LIKE w.text_like
                                 OR (w.pinyin_like <> '%%' AND p.pinyin LIKE w.pinyin_like)), false) AS found
        FROM unnest($8::text[], $9::text[]) AS w(text_like, pinyin_like)
    ) every_word
    WHERE p.active AND (
        p.search_text LIKE $2 OR $1 <% p.search_text OR every_word.found
        OR ($3 <> '' AND (p.pinyin LIKE $4 OR (length($3) >= 4 AND $3 <% p.pinyin)))
        OR ($5::text IS NOT NULL AND p.initials LIKE '%' || $5 || '%'))
)
SELECT card.*, hits.score, count(*) OVER () AS total
FROM hits JOIN ({CARD}) card ON card.id = hits.id
ORDER BY hits.score DESC, card.sold DESC, card.id
LIMIT $6 OFFSET $7
"""


async def search_products(conn: asyncpg.Connection, text: str, text_like: str, pinyin: str, pinyin_like: str,
                          initials: str | None, limit: int, offset: int, threshold: float,
                          words: list[tuple[str, str]]) -> list[asyncpg.Record]:
    """Run inside a transaction: the similarity threshold is set for this transaction only.
    `words` are (text LIKE pattern, pinyin LIKE pattern) of each word of a several-word query."""
    await conn.execute("SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)", str(threshold))
    return await conn.fetch(SEARCH, text, text_like, pinyin, pinyin_like, initials, limit, offset,
                            [t for t, _ in words], [p for _, p in words])


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
