"""Engagement: reviews (catalog), with the buyer's image upload for them (the gateway's image store); member
prices (orders).
Bodies are checked here strictly and again by the owning service, which holds the rules."""

from __future__ import annotations

from pydantic import Field

from services.gateway.api.images import ImageOut, upload_image
from services.gateway.api.merchant import PageQuery, _op
from services.gateway.domain.images import MAX_UPLOAD_BYTES
from services.gateway.models import Answer, Items, RefId, text
from services.gateway.routes import Operation, QueryModel, forward
from shared.http import StrictModel

ImageUrl = str  # a URL the image store gave (POST /api/me/images); catalog checks it is one
MAX_IMAGES = 9


class ReviewBody(StrictModel):
    order_id: RefId
    sku_id: RefId
    rating: int = Field(ge=1, le=5)
    text: str = text(1000, min_length=0)
    images: list[ImageUrl] = Field(default_factory=list, max_length=MAX_IMAGES)


class FollowupBody(StrictModel):
    text: str = text(1000)
    images: list[ImageUrl] = Field(default_factory=list, max_length=MAX_IMAGES)


class ReviewOut(Answer):
    id: str
    rating: int
    text: str
    images: list[str]
    refunded: bool


class ProductReviewsOut(Answer):
    """`average` (one decimal, null without reviews), `count`, `stars` ("1".."5" → reviews), `with_images`,
    and the visible reviews, those with images first, newest first."""

    average: float | None
    count: int
    stars: dict[str, int]
    items: list[ReviewOut]


class MyReviewsOut(Answer):
    items: list[ReviewOut]
    pending: list[dict[str, object]]  # completed lines still open for a review, with `review_by`


class ReviewPageQuery(QueryModel):
    page: int = Field(default=1, ge=1, le=1000)
    page_size: int = Field(default=20, ge=1, le=50)


class MerchantReviewsQuery(PageQuery):
    product_id: RefId | None = None


def _image_op() -> Operation:
    return Operation("POST", "/api/me/images", upload_image("buyer_upload_image"), "Upload a review photo (JPEG, "
                     "PNG, WebP or GIF, at most 5 MB; the body is the file): re-encoded without metadata, its URL "
                     "for a review's `images`", "reviews", raw_body="application/octet-stream", answer=ImageOut,
                     status=201, max_body_bytes=MAX_UPLOAD_BYTES, too_large_code="image_too_large")


OPERATIONS = [
    _image_op(),
    Operation("POST", "/api/reviews", forward("write_review", "catalog", "POST", "/reviews"),
              "Review a line of a completed order (1–5 stars, text, up to 9 images), once per line, within the "
              "review window", "reviews", body=ReviewBody, answer=ReviewOut, status=201, idempotent=True),
    Operation("POST", "/api/reviews/{id}/followup", forward("follow_up_review", "catalog", "POST",
                                                            "/reviews/{id}/followup"),
              "Add the one follow-up to the caller's review", "reviews", body=FollowupBody, answer=ReviewOut,
              idempotent=True),
    Operation("GET", "/api/me/reviews", forward("my_reviews", "catalog", "GET", "/me/reviews"),
              "The caller's reviews and the completed lines still waiting for one", "reviews",
              query=ReviewPageQuery, answer=MyReviewsOut),
    Operation("GET", "/api/products/{id}/reviews", forward("product_reviews", "catalog", "GET",
                                                           "/products/{id}/reviews"),
              "A product's rating summary and visible reviews (images first)", "reviews", auth="none",
              query=ReviewPageQuery, answer=ProductReviewsOut),
    _op("GET", "/api/merchant/reviews", "merchant_reviews", "catalog", "/merchant/reviews",
        "Reviews of the merchant's products, hidden ones too", query=MerchantReviewsQuery),
    _op("PUT", "/api/merchant/reviews/{id}/reply", "merchant_reply_review", "catalog",
        "/merchant/reviews/{id}/reply", "Reply to a review (again: replaces the reply)", body=True),
    _op("PUT", "/api/merchant/reviews/{id}/hidden", "merchant_hide_review", "catalog",
        "/merchant/reviews/{id}/hidden", "Hide a review from the product page, with a reason", body=True),
    _op("DELETE", "/api/merchant/reviews/{id}/hidden", "merchant_show_review", "catalog",
        "/merchant/reviews/{id}/hidden", "Show a hidden review again"),
    _op("GET", "/api/merchant/member-prices", "merchant_member_prices", "orders", "/merchant/member-prices",
        "The merchant's member prices (per level, on SKUs or categories)", answer=Items),
    _op("PUT", "/api/merchant/member-prices", "merchant_set_member_price", "orders", "/merchant/member-prices",
        "Set the member price of one SKU or category for one level: percent_off or price_fen (again: replaces "
        "it)", body=True),
    _op("DELETE", "/api/merchant/member-prices/{id}", "merchant_delete_member_price", "orders",
        "/merchant/member-prices/{id}", "Remove a member price", status=204),
]
