"""Reviews: the lines buyers may review, the reviews, replies, moderation and a product's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.catalog.store import Conn

REVIEW = """
SELECT r.*, s.specs, EXISTS (SELECT 1 FROM review_refunds f WHERE f.order_id = r.order_id AND f.sku_id = r.sku_id)
       AS refunded
FROM reviews r LEFT JOIN skus s ON s.id = r.sku_id
"""


async def add_completed_lines(conn: asyncpg.Connection, order_id: str, user_id: str, merchant_id: str,
                              completed_at: datetime) -> None:
    """The order's reserved lines (never released) become reviewable; a repeated event changes nothing."""
    await conn.execute(
        "INSERT INTO review_lines (order_id, sku_id, user_id, product_id, merchant_id, completed_at) "
        "SELECT r.order_id, r.sku_id, $2, s.product_id, $3, $4 FROM reservations r JOIN skus s ON s.id = r.sku_id "
        "WHERE r.order_id = $1 AND r.status <> 'released' ON CONFLICT DO NOTHING",
        order_id, user_id, merchant_id, completed_at)


async def mark_refunded(conn: asyncpg.Connection, order_id: str, sku_ids: list[str]) -> None:
    await conn.execute(
        "INSERT INTO review_refunds (order_id, sku_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
        order_id, sku_ids)


async def review_line(conn: Conn, order_id: str, sku_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM review_lines WHERE order_id = $1 AND sku_id = $2", order_id, sku_id)


async def pending_lines(conn: Conn, user_id: str, since: datetime, limit: int) -> list[asyncpg.Record]:
    """The buyer's completed lines still open for a review (completed after `since`, not reviewed yet)."""
    return await conn.fetch(
        "SELECT l.*, p.name, p.image, s.specs FROM review_lines l JOIN products p ON p.id = l.product_id "
        "JOIN skus s ON s.id = l.sku_id WHERE l.user_id = $1 AND l.completed_at > $2 AND NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.order_id = l.order_id AND r.sku_id = l.sku_id) "
        "ORDER BY l.completed_at DESC, l.order_id, l.sku_id LIMIT $3", user_id, since, limit)


async def insert_review(conn: asyncpg.Connection, review_id: str, line: asyncpg.Record, rating: int, body: str,
                        images: list[str], now: datetime) -> bool:
    """False when the line has a review already (two concurrent tries: one wins)."""
    return bool(await conn.fetchval(
        "INSERT INTO reviews (id, order_id, sku_id, user_id, product_id, merchant_id, rating, body, images, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (order_id, sku_id) DO NOTHING "
        "RETURNING true", review_id, line["order_id"], line["sku_id"], line["user_id"], line["product_id"],
        line["merchant_id"], rating, body, images, now))


async def get_review(conn: Conn, review_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF r" if for_update else ""
    return await conn.fetchrow(f"{REVIEW} WHERE r.id = $1{lock}", review_id)


async def set_followup(conn: asyncpg.Connection, review_id: str, body: str, images: list[str],
                       now: datetime) -> bool:
    """False when the review has its follow-up already."""
    return bool(await conn.fetchval(
        "UPDATE reviews SET followup_body = $2, followup_images = $3, followup_at = $4 "
        "WHERE id = $1 AND followup_at IS NULL RETURNING true", review_id, body, images, now))


async def set_reply(conn: asyncpg.Connection, review_id: str, reply: str, now: datetime) -> None:
    await conn.execute("UPDATE reviews SET reply = $2, replied_at = $3 WHERE id = $1", review_id, reply, now)


async def set_hidden(conn: asyncpg.Connection, review_id: str, reason: str | None, now: datetime | None) -> int:
    """The review's new visibility revision."""
    return int(await conn.fetchval(
        "UPDATE reviews SET hidden_reason = $2, hidden_at = $3, visibility_revision = visibility_revision + 1 "
        "WHERE id = $1 RETURNING visibility_revision", review_id, reason, now))


async def product_reviews(conn: Conn, product_id: str, limit: int, offset: int) -> list[asyncpg.Record]:
    """Visible reviews, those with images first, newest first."""
    return await conn.fetch(
        f"{REVIEW} WHERE r.product_id = $1 AND r.hidden_at IS NULL "
        "ORDER BY (cardinality(r.images) > 0) DESC, r.created_at DESC, r.id LIMIT $2 OFFSET $3",
        product_id, limit, offset)


async def star_counts(conn: Conn, product_id: str) -> dict[int, int]:
    rows = await conn.fetch("SELECT rating, count(*) AS n FROM reviews WHERE product_id = $1 AND hidden_at IS NULL "
                            "GROUP BY rating", product_id)
    return {r["rating"]: r["n"] for r in rows}


async def with_images(conn: Conn, product_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM reviews WHERE product_id = $1 AND hidden_at IS NULL "
                                   "AND cardinality(images) > 0", product_id))


async def buyer_reviews(conn: Conn, user_id: str, limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(f"{REVIEW} WHERE r.user_id = $1 ORDER BY r.created_at DESC, r.id LIMIT $2 OFFSET $3",
                            user_id, limit, offset)


@dataclass(frozen=True)
class ReviewFilter:
    """A merchant's review list narrowed down; None leaves a filter off (with_images=False: those without)."""

    product_id: str | None = None
    rating: int | None = None
    with_images: bool | None = None
    hidden: bool | None = None


async def merchant_reviews(conn: Conn, merchant_id: str, where: ReviewFilter, limit: int,
                           offset: int) -> list[asyncpg.Record]:
    """The reviews of the merchant's products, hidden ones too unless filtered, newest first."""
    return await conn.fetch(
        f"{REVIEW} WHERE r.merchant_id = $1 AND ($2::text IS NULL OR r.product_id = $2) "
        "AND ($3::int IS NULL OR r.rating = $3) "
        "AND ($4::bool IS NULL OR (cardinality(r.images) > 0) = $4) "
        "AND ($5::bool IS NULL OR (r.hidden_at IS NOT NULL) = $5) "
        "ORDER BY r.created_at DESC, r.id LIMIT $6 OFFSET $7",
        merchant_id, where.product_id, where.rating, where.with_images, where.hidden, limit, offset)


async def platform_terms(conn: Conn) -> list[str]:
    """The platform's blocked terms (lower case): review text holding one is refused."""
    return [r["term"] for r in await conn.fetch("SELECT term FROM blocked_terms WHERE merchant_id IS NULL")]
