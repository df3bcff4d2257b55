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
SELECT name FROM products
WHERE active AND (search_text LIKE $1 OR ($2 <> '' AND pinyin LIKE $2 || '%')
                  OR ($3::text IS NOT NULL AND initials LIKE $3 || '%'))
ORDER BY sold DESC, id LIMIT $4
"""


async def suggest_names(conn: Conn, text_like: str, pinyin_prefix: str, initials: str | None,
                        limit: int) -> list[str]:
    return [r["name"] for r in await conn.fetch(SUGGEST_NAMES, text_like, pinyin_prefix, initials, limit)]


async def popular_queries(conn: Conn, prefix_like: str, pinyin_prefix: str, limit: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT q FROM search_queries WHERE q LIKE $1 OR ($2 <> '' AND pinyin LIKE $2 || '%') "
        "ORDER BY times DESC, last_at DESC LIMIT $3", prefix_like, pinyin_prefix, limit)
    return [r["q"] for r in rows]


async def count_query(conn: Conn, q: str, pinyin: str) -> None:
    await conn.execute(
        "INSERT INTO search_queries (q, pinyin, times) VALUES ($1, $2, 1) "
        "ON CONFLICT (q) DO UPDATE SET times = search_queries.times + 1, last_at = now()", q, pinyin)


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
