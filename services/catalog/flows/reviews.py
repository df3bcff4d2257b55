"""Reviews: a buyer reviews a line of a completed order once (and follows up once), within a window; the
merchant replies and hides with a reason; the platform's blocked terms keep text out; refunded lines are marked.

catalog owns reviews because it owns the products they describe: it learns completed orders (`order.completed`,
with the lines it reserved for `order.placed`) and refunded lines (`order.refunded`) from events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from services.catalog.domain import MAX_REVIEW_IMAGES, blocked_term_in, review_images_ok
from services.catalog.store import reviews as store
from shared.db import Tx
from shared.events.catalog import ReviewVisibilityChanged, ReviewWritten
from shared.events.orders import OrderCompleted, OrderRefunded
from shared.refusal import Refusal


async def note_completed(tx: Tx, order: OrderCompleted, at: datetime) -> None:
    await store.add_completed_lines(tx.conn, order.order_id, order.user_id, order.merchant_id, at)


async def note_refunded(tx: Tx, refund: OrderRefunded) -> None:
    await store.mark_refunded(tx.conn, refund.order_id, sorted({line.sku_id for line in refund.lines}))


async def _checked_text(tx: Tx, body: str, images: list[str]) -> None:
    if len(images) > MAX_REVIEW_IMAGES:
        raise Refusal("too_many_images", f"A review may have at most {MAX_REVIEW_IMAGES} images", 422,
                      field="images")
    if not review_images_ok(images):
        raise Refusal("invalid_review_image", "Images must be uploaded to the mall's image store first "
                      "(POST /api/me/images)", 422, field="images")
    term = blocked_term_in(body, await store.platform_terms(tx.conn))
    if term is not None:
        raise Refusal("review_blocked_term", "The text holds a term the mall does not allow", 422, field="text")


async def write_review(tx: Tx, user_id: str, order_id: str, sku_id: str, rating: int, body: str,
                       images: list[str], now: datetime, window_days: int) -> asyncpg.Record:
    line = await store.review_line(tx.conn, order_id, sku_id)
    if line is None or line["user_id"] != user_id:  # someone else's line is no line of this buyer's
        raise Refusal("line_not_reviewable", "No completed order line of yours with this order and SKU", 404)
    if now > line["completed_at"] + timedelta(days=window_days):
        raise Refusal("review_window_closed", f"Reviews are open for {window_days} days after completion",
                      window_days=window_days)
    await _checked_text(tx, body, images)
    review_id = f"rv_{uuid.uuid4().hex[:16]}"
    if not await store.insert_review(tx.conn, review_id, line, rating, body, images, now):
        raise Refusal("already_reviewed", "This order line has its review already")
    await tx.emit(ReviewWritten(review_id=review_id, order_id=order_id, product_id=line["product_id"],
                                merchant_id=line["merchant_id"], user_id=user_id, rating=rating,
                                with_images=bool(images)))
    return await _reread(tx, review_id)


async def follow_up(tx: Tx, user_id: str, review_id: str, body: str, images: list[str], now: datetime,
                    window_days: int) -> asyncpg.Record:
    review = await store.get_review(tx.conn, review_id, for_update=True)
    if review is None or review["user_id"] != user_id:
        raise Refusal("review_not_found", "No such review of yours", 404)
    if now > review["created_at"] + timedelta(days=window_days):
        raise Refusal("followup_window_closed", f"A follow-up is open for {window_days} days after the review",
                      window_days=window_days)
    await _checked_text(tx, body, images)
    if not await store.set_followup(tx.conn, review_id, body, images, now):
        raise Refusal("already_followed_up", "This review has its follow-up already")
    return await _reread(tx, review_id)


async def owned_review(tx: Tx, merchant_id: str, review_id: str) -> asyncpg.Record:
    review = await store.get_review(tx.conn, review_id, for_update=True)
    if review is None:
        raise Refusal("review_not_found", "No such review", 404)
    if review["merchant_id"] != merchant_id:
        raise Refusal("review_not_yours", "This review is of another merchant's product", 403)
    return review


async def reply(tx: Tx, merchant_id: str, review_id: str, text: str, now: datetime) -> asyncpg.Record:
    """The merchant's one reply (writing it again replaces it: the same text twice is harmless)."""
    await owned_review(tx, merchant_id, review_id)
    await store.set_reply(tx.conn, review_id, text, now)
    return await _reread(tx, review_id)


async def hide(tx: Tx, merchant_id: str, review_id: str, reason: str | None, now: datetime) -> asyncpg.Record:
    """Hide with a reason (None: show again). A hidden review leaves the product page and its counts, and
    analytics' rating trend (told by `review.visibility_changed`)."""
    await owned_review(tx, merchant_id, review_id)
    revision = await store.set_hidden(tx.conn, review_id, reason, now if reason is not None else None)
    await tx.emit(ReviewVisibilityChanged(review_id=review_id, merchant_id=merchant_id, hidden=reason is not None,
                                          revision=revision))
    return await _reread(tx, review_id)


async def _reread(tx: Tx, review_id: str) -> asyncpg.Record:
    found = await store.get_review(tx.conn, review_id)
    assert found is not None
    return found
