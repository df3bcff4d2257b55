"""Engagement: reviews (catalog), with the buyer's image upload for them (the gateway's image store); member
prices (orders); home content, hot words and footprints (catalog).
Bodies are checked here strictly and again by the owning service, which holds the rules."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from services.gateway.api.images import ImageOut, upload_image
from services.gateway.api.merchant import MerchantBody, Method, PageQuery, _op
from services.gateway.api.platform import _platform
from services.gateway.domain.images import MAX_UPLOAD_BYTES
from services.gateway.models import TEXT_PATTERN, Answer, Items, RefId, text
from services.gateway.routes import Call, Handler, Operation, QueryModel, forward
from services.gateway.upstream import path
from shared.http import StrictModel, Unprocessable

Word = Annotated[str, Field(min_length=1, max_length=50, pattern=TEXT_PATTERN)]
# A URL the image store gave (POST /api/me/images); catalog checks it is one.
ImageUrl = Annotated[str, Field(min_length=1, max_length=500)]
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


class HotQuery(QueryModel):
    limit: int | None = Field(default=None, ge=1, le=20)


class HotWordsBody(StrictModel):
    words: list[Word] = Field(max_length=20)


class HotWordsOut(Answer):
    words: list[str]


class HomeItemOut(Answer):
    id: str
    kind: str
    title: str


class HomeItemBody(StrictModel):
    """Checked again by catalog (the target exists, a page is a mini-program path, the schedule is sane)."""

    kind: Literal["banner", "collection"]
    title: str = text(60)
    image: str = Field(default="", max_length=500, pattern=r"^(https?://[^\s<>\"']+|/[^/\s<>\"'][^\s<>\"']*)?$")
    target_kind: Literal["product", "category", "campaign", "page"] | None = None
    target: str | None = Field(default=None, min_length=1, max_length=200, pattern=TEXT_PATTERN)
    product_ids: list[RefId] = Field(default_factory=list, max_length=20)
    position: int = Field(default=0, ge=0, le=10_000)
    starts_at: str = Field(max_length=40)  # ISO 8601 with an offset
    ends_at: str | None = Field(default=None, max_length=40)


class MerchantReviewsQuery(PageQuery):
    product_id: RefId | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    with_images: bool | None = None
    hidden: bool | None = None


async def _own_campaign(call: Call, campaign_id: str) -> None:
    """A banner's campaign belongs to marketing: the gateway asks it (as the merchant) before catalog stores it."""
    reply = await call.up.call(call.request, "marketing", "GET", path("/merchant/campaigns/{id}", id=campaign_id))
    if reply.status == 404:
        raise Unprocessable("No such campaign of yours", code="unknown_campaign", field="target")
    reply.json()  # any other refusal or fault, as marketing gave it


def _home_item_write(name: str, method: Method, template: str) -> Handler:
    """A merchant's banner or collection, its campaign target (if any) checked first, then forwarded to catalog."""
    send = forward(name, "catalog", method, template)

    async def handler(call: Call) -> web.StreamResponse:
        body: MerchantBody = call.body
        extra = body.model_extra or {}
        if extra.get("target_kind") == "campaign" and isinstance(extra.get("target"), str):
            await _own_campaign(call, extra["target"])
        return await send(call)

    handler.__name__ = name
    return handler


def _home_item_op(method: Method, path_: str, name: str, template: str, summary: str, **kw: Any) -> Operation:
    return replace(_op(method, path_, name, "catalog", template, summary, body=True, **kw),
                   handler=_home_item_write(name, method, template))


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
    Operation("GET", "/api/search/hot", forward("hot_words", "catalog", "GET", "/search/hot"),
              "Hot words: the mall's curated ones, then what many distinct buyers searched (never a blocked term)",
              "browse", auth="none", query=HotQuery, answer=Items),
    Operation("GET", "/api/me/footprints", forward("my_footprints", "catalog", "GET", "/me/footprints"),
              "The products the caller viewed, newest first", "browse", answer=Items),
    Operation("DELETE", "/api/me/footprints", forward("clear_footprints", "catalog", "DELETE", "/me/footprints",
                                                      status=204),
              "Forget the caller's footprints", "browse", status=204),
    _op("GET", "/api/merchant/home-items", "merchant_home_items", "catalog", "/merchant/home-items",
        "The merchant's banners and featured collections, scheduled or not", answer=Items),
    _home_item_op("POST", "/api/merchant/home-items", "merchant_create_home_item", "/merchant/home-items",
                  "Add a banner (target_kind product|category|campaign|page, target; a campaign must be the "
                  "merchant's own) or a featured collection (product_ids), shown from starts_at until ends_at",
                  answer=HomeItemOut, status=201, key=True),
    _home_item_op("PUT", "/api/merchant/home-items/{id}", "merchant_replace_home_item", "/merchant/home-items/{id}",
                  "Replace a banner or collection", answer=HomeItemOut),
    _op("DELETE", "/api/merchant/home-items/{id}", "merchant_delete_home_item", "catalog",
        "/merchant/home-items/{id}", "Remove a banner or collection", status=204),
    _platform("GET", "/api/platform/home-items", forward("platform_home_items", "catalog", "GET",
                                                         "/platform/home-items"),
              "The mall's banners and featured collections", answer=Items),
    _platform("POST", "/api/platform/home-items", forward("platform_create_home_item", "catalog", "POST",
                                                          "/platform/home-items"),
              "Add a banner or collection to the mall's home", body=HomeItemBody, answer=HomeItemOut, status=201,
              idempotent=True),
    _platform("PUT", "/api/platform/home-items/{id}", forward("platform_replace_home_item", "catalog", "PUT",
                                                              "/platform/home-items/{id}"),
              "Replace one of the mall's banners or collections", body=HomeItemBody, answer=HomeItemOut),
    _platform("DELETE", "/api/platform/home-items/{id}", forward("platform_delete_home_item", "catalog", "DELETE",
                                                                 "/platform/home-items/{id}", status=204),
              "Remove one of the mall's banners or collections", status=204),
    _platform("GET", "/api/platform/hot-words", forward("platform_hot_words", "catalog", "GET",
                                                        "/platform/hot-words"),
              "The mall's curated hot words", answer=HotWordsOut),
    _platform("PUT", "/api/platform/hot-words", forward("platform_set_hot_words", "catalog", "PUT",
                                                        "/platform/hot-words"),
              "Replace the curated hot words (in order)", body=HotWordsBody, answer=HotWordsOut),
]
