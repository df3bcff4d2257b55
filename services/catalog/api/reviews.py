"""Reviews: buyers write them (and one follow-up) on completed order lines, product pages show them with a
summary, merchants reply and hide them with a reason. Rules live in flows.reviews."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import asyncpg
from aiohttp import web
from pydantic import Field

from services.catalog.api.buyer import Model, Page, path_id
from services.catalog.deps import deps_of
from services.catalog.domain import MAX_REVIEW_IMAGES, rating_summary
from services.catalog.flows import reviews as flows
from services.catalog.store import catalogue
from services.catalog.store import reviews as store
from shared.db import Tx
from shared.http import NotFound, current_merchant, current_user, idempotent, json_response, parse_body, parse_query

routes = web.RouteTableDef()
ImageList = list[Annotated[str, Field(max_length=500)]]


class ReviewBody(Model):
    order_id: str = Field(min_length=1, max_length=64)
    sku_id: str = Field(min_length=1, max_length=64)
    rating: int = Field(ge=1, le=5)
    text: str = Field("", max_length=1000)
    images: ImageList = Field(default_factory=list, max_length=MAX_REVIEW_IMAGES)


class FollowupBody(Model):
    text: str = Field(min_length=1, max_length=1000)
    images: ImageList = Field(default_factory=list, max_length=MAX_REVIEW_IMAGES)


class ReplyBody(Model):
    text: str = Field(min_length=1, max_length=500)


class HideBody(Model):
    reason: str = Field(min_length=1, max_length=200)


class MerchantReviewsQuery(Page):
    """Filters of the console's review list: one star rating, only those with images, hidden or shown ones."""

    product_id: str | None = Field(None, min_length=1, max_length=64)
    rating: int | None = Field(None, ge=1, le=5)
    with_images: bool | None = None
    hidden: bool | None = None


def review_view(row: asyncpg.Record, *, merchant: bool = False) -> dict[str, Any]:
    """The public face of a review (no buyer id); the merchant's also says whether and why it is hidden."""
    view: dict[str, Any] = {
        "id": row["id"], "product_id": row["product_id"], "sku_id": row["sku_id"], "specs": row["specs"] or {},
        "rating": row["rating"], "text": row["body"], "images": list(row["images"]),
        "created_at": row["created_at"].isoformat(), "refunded": row["refunded"],
        "followup": None if row["followup_at"] is None else {
            "text": row["followup_body"], "images": list(row["followup_images"] or []),
            "at": row["followup_at"].isoformat()},
        "reply": None if row["replied_at"] is None else {"text": row["reply"], "at": row["replied_at"].isoformat()}}
    if merchant:
        view |= {"order_id": row["order_id"], "hidden": row["hidden_at"] is not None,
                 "hidden_reason": row["hidden_reason"]}
    return view


def mine_view(row: asyncpg.Record) -> dict[str, Any]:
    """The author sees their order and whether the merchant hid it (and why)."""
    return review_view(row, merchant=True)


@routes.post("/reviews")
async def write(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, ReviewBody)
    deps = deps_of(request.app)

    async def work(tx: Tx) -> tuple[int, Any]:
        row = await flows.write_review(tx, user_id, body.order_id, body.sku_id, body.rating, body.text.strip(),
                                       body.images, deps.clock.now(), deps.settings.review_window_days)
        return 201, mine_view(row)

    return await idempotent(request, deps.db, f"review:{user_id}", body.model_dump(mode="json"), work)


@routes.post("/reviews/{review_id}/followup")
async def followup(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, FollowupBody)
    review_id = path_id(request, "review_id", "review_not_found")
    deps = deps_of(request.app)

    async def work(tx: Tx) -> tuple[int, Any]:
        row = await flows.follow_up(tx, user_id, review_id, body.text.strip(), body.images, deps.clock.now(),
                                    deps.settings.review_followup_days)
        return 200, mine_view(row)

    return await idempotent(request, deps.db, f"review:{user_id}", body.model_dump(mode="json"), work)


@routes.get("/me/reviews")
async def my_reviews(request: web.Request) -> web.Response:
    """The buyer's reviews, and the completed lines still waiting for one (newest first)."""
    user_id = current_user(request)
    page = parse_query(request, Page)
    deps = deps_of(request.app)
    since = deps.clock.now() - timedelta(days=deps.settings.review_window_days)
    rows = await store.buyer_reviews(deps.db, user_id, page.page_size, page.offset)
    pending = await store.pending_lines(deps.db, user_id, since, 50)
    return json_response({
        "items": [mine_view(r) for r in rows],
        "pending": [{"order_id": r["order_id"], "sku_id": r["sku_id"], "product_id": r["product_id"],
                     "name": r["name"], "image": r["image"], "specs": r["specs"],
                     "completed_at": r["completed_at"].isoformat(),
                     "review_by": (r["completed_at"] + timedelta(days=deps.settings.review_window_days)).isoformat()}
                    for r in pending]})


@routes.get("/products/{product_id}/reviews")
async def product_reviews(request: web.Request) -> web.Response:
    """Average, counts per star and the visible reviews, those with images first."""
    page = parse_query(request, Page)
    product_id = path_id(request, "product_id", "product_not_found")
    db = deps_of(request.app).db
    product = await catalogue.get_product(db, product_id)
    if product is None or not product["active"]:
        raise NotFound("No such product", code="product_not_found")
    summary = rating_summary(await store.star_counts(db, product_id))
    rows = await store.product_reviews(db, product_id, page.page_size, page.offset)
    return json_response({"product_id": product_id, "average": summary.average, "count": summary.count,
                          "stars": summary.stars, "with_images": await store.with_images(db, product_id),
                          "items": [review_view(r) for r in rows], "total": summary.count})


@routes.get("/merchant/reviews")
async def merchant_reviews(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    query = parse_query(request, MerchantReviewsQuery)
    rows = await store.merchant_reviews(deps_of(request.app).db, merchant_id, store.ReviewFilter(
        query.product_id, query.rating, query.with_images, query.hidden), query.page_size, query.offset)
    return json_response({"items": [review_view(r, merchant=True) for r in rows]})


@routes.put("/merchant/reviews/{review_id}/reply")
async def reply(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, ReplyBody)
    review_id = path_id(request, "review_id", "review_not_found")
    deps = deps_of(request.app)
    async with deps.db.transaction() as tx:
        row = await flows.reply(tx, merchant_id, review_id, body.text.strip(), deps.clock.now())
    return json_response(review_view(row, merchant=True))


@routes.put("/merchant/reviews/{review_id}/hidden")
async def hide(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, HideBody)
    review_id = path_id(request, "review_id", "review_not_found")
    deps = deps_of(request.app)
    async with deps.db.transaction() as tx:
        row = await flows.hide(tx, merchant_id, review_id, body.reason.strip(), deps.clock.now())
    return json_response(review_view(row, merchant=True))


@routes.delete("/merchant/reviews/{review_id}/hidden")
async def show(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    review_id = path_id(request, "review_id", "review_not_found")
    deps = deps_of(request.app)
    async with deps.db.transaction() as tx:
        row = await flows.hide(tx, merchant_id, review_id, None, deps.clock.now())
    return json_response(review_view(row, merchant=True))
