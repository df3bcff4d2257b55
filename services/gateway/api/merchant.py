"""The merchant API for staff tokens: profile, stores, products, SKUs and stock (catalog), orders (orders),
campaigns, coupon templates and store codes (marketing), Huabei offers and deposits (payments), metrics
(analytics). The token's merchant id goes to the service as `X-Merchant-Id`; the service only ever touches
that merchant's data and validates the bodies (their fields are in each service's API.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ConfigDict, Field

from services.gateway.models import (
    Answer,
    Anything,
    Day,
    Items,
    MerchantOrdersOut,
    MerchantRefundBody,
    OrderStatus,
    RefundOut,
    RejectBody,
)
from services.gateway.routes import Call, Operation, QueryModel, forward
from services.gateway.upstream import relay
from shared.http import StrictModel


class MerchantBody(StrictModel):
    """A merchant write, validated by the owning service (which names any bad field in its 422)."""

    model_config = ConfigDict(extra="allow")


class PageQuery(QueryModel):
    page: int | None = Field(default=None, ge=1, le=1000)
    page_size: int | None = Field(default=None, ge=1, le=50)


class ProductsQuery(PageQuery):
    """q: part of a name or id, or a SKU's whole barcode or id; low_stock: a SKU on sale has at most this many."""

    q: str | None = Field(default=None, min_length=1, max_length=100)
    category_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    active: bool | None = None
    low_stock: int | None = Field(default=None, ge=0, le=10_000_000)


class OrdersQuery(QueryModel):
    """from/to: the shop's days the orders were placed on; q: part of the order number."""

    model_config = ConfigDict(populate_by_name=True)
    status: OrderStatus | None = None
    delivery_method: Literal["express", "pickup"] | None = None
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None
    q: str | None = Field(default=None, min_length=1, max_length=64)
    page: int | None = Field(default=None, ge=1, le=1000)
    limit: int | None = Field(default=None, ge=1, le=100)


class RangeQuery(QueryModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: Day = Field(alias="from")
    to: Day


class TopQuery(RangeQuery):
    limit: int | None = Field(default=None, ge=1, le=100)


class StageTimes(Answer):
    """How long paid orders took to reach a stage: orders that reached it in the range, the median and 90th
    percentile of their seconds since payment (null without orders), and the same per shop day of reaching it."""

    orders: int
    median_s: int | None
    p90_s: int | None
    daily: list[dict[str, Any]]


class StorePickups(Answer):
    store_id: str
    orders: int
    share: float | None  # of all paid orders with a delivery


class PickupShare(Answer):
    orders: int  # paid in range with a delivery (express or pickup)
    pickup_orders: int
    share: float | None
    by_store: list[StorePickups]


class FulfilmentMetrics(Answer):
    to_shipped: StageTimes
    to_delivered: StageTimes
    to_picked_up: StageTimes
    pickup: PickupShare


class MetricsOut(Answer):
    """Definitions: services/analytics/METRICS.md."""

    merchant_id: str
    kpis: dict[str, Any]
    daily: list[dict[str, Any]]
    fulfilment: FulfilmentMetrics
    # Reviews written in range: {reviews, average, stars, with_images, daily: [{day, reviews, average}]}.
    reviews: dict[str, Any] | None = None
    # Paid orders in range and those with a member-priced line: {orders, member_orders, share, saving_fen}.
    member_prices: dict[str, Any] | None = None


def day_bounds(zone: ZoneInfo, from_: date | None, to: date | None) -> dict[str, str]:
    """The shop's days from..to (both included) as the instants orders takes: created_from, created_before."""
    bounds = {}
    if from_ is not None:
        bounds["created_from"] = datetime.combine(from_, time(), zone).isoformat()
    if to is not None:
        bounds["created_before"] = datetime.combine(to + timedelta(days=1), time(), zone).isoformat()
    return bounds


async def merchant_orders(call: Call) -> web.StreamResponse:
    query: OrdersQuery = call.query
    params = {**query.model_dump(exclude_none=True, exclude={"from_", "to"}, mode="json"),
              **day_bounds(call.deps.business_zone, query.from_, query.to)}
    return relay(await call.up.call(call.request, "orders", "GET", "/merchant/orders", query=params))


Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def _op(method: Method, path: str, name: str, service: str, target: str, summary: str, *, body: bool = False,
        query: type[QueryModel] | None = None, answer: type = Anything, status: int = 200,
        key: bool = False) -> Operation:
    """`key`: the service requires an Idempotency-Key (creations a retry must not repeat)."""
    return Operation(method, path, forward(name, service, method, target), summary, "merchant", auth="staff",
                     body=MerchantBody if body else None, query=query, answer=answer, status=status,
                     idempotent=key, optional_key=method != "GET" and not key)


OPERATIONS = [
    _op("PUT", "/api/merchant/profile", "merchant_profile", "catalog", "/merchant/profile",
        "Set the merchant's name", body=True),
    _op("GET", "/api/merchant/stores", "merchant_stores", "catalog", "/merchant/stores",
        "The merchant's stores, closed ones too", answer=Items),
    _op("PUT", "/api/merchant/stores/{id}", "merchant_put_store", "catalog", "/merchant/stores/{id}",
        "Create or change a store (name, address, lat/lng)", body=True),
    _op("GET", "/api/merchant/products", "merchant_products", "catalog", "/merchant/products",
        "The merchant's products, newest first, filtered by text, category, on/off sale and low stock, with their "
        "total", query=ProductsQuery, answer=Items),
    _op("POST", "/api/merchant/products", "merchant_create_product", "catalog", "/merchant/products",
        "Create a product with its SKUs and stock", body=True, status=201, key=True),
    _op("GET", "/api/merchant/products/{id}", "merchant_product", "catalog", "/merchant/products/{id}",
        "One of the merchant's products"),
    _op("PUT", "/api/merchant/products/{id}", "merchant_replace_product", "catalog",
        "/merchant/products/{id}", "Replace a product", body=True),
    _op("POST", "/api/merchant/products/{id}/skus", "merchant_create_sku", "catalog",
        "/merchant/products/{id}/skus", "Add a SKU", body=True, status=201, key=True),
    _op("PATCH", "/api/merchant/skus/{id}", "merchant_update_sku", "catalog", "/merchant/skus/{id}",
        "Change a SKU (price, deposit, sellable, specs, weight_g)", body=True),
    _op("POST", "/api/merchant/skus/{id}/stock", "merchant_adjust_stock", "catalog",
        "/merchant/skus/{id}/stock", "Adjust a SKU's stock by a delta", body=True, key=True),
    _op("GET", "/api/merchant/flash-sales", "merchant_flash_sales", "catalog", "/merchant/flash-sales",
        "The merchant's flash sales (秒杀), latest start first, with what is left", answer=Items),
    _op("POST", "/api/merchant/flash-sales", "merchant_schedule_flash_sale", "catalog", "/merchant/flash-sales",
        "Schedule a flash sale of one SKU: sku_id, price_fen, quantity (taken out of its stock), per_buyer_limit, "
        "starts_at and ends_at (ISO 8601 with offset)", body=True, status=201, key=True),
    _op("GET", "/api/merchant/blocked-terms", "merchant_blocked_terms", "catalog", "/merchant/blocked-terms",
        "Terms never suggested with the merchant's products", answer=Items),
    _op("POST", "/api/merchant/blocked-terms", "merchant_block_term", "catalog", "/merchant/blocked-terms",
        "Block a search-suggestion term (again: the same term)", body=True, status=201),
    _op("DELETE", "/api/merchant/blocked-terms/{id}", "merchant_unblock_term", "catalog",
        "/merchant/blocked-terms/{id}", "Unblock a search-suggestion term", status=204),
    Operation("GET", "/api/merchant/orders", merchant_orders, "The merchant's orders, newest first, filtered by "
              "status, delivery method, the shop's days placed on (from/to) and part of the order number, a page of "
              "`limit` with the `total`", "merchant", auth="staff", query=OrdersQuery, answer=MerchantOrdersOut),
    _op("POST", "/api/merchant/orders/{id}/refund/approve", "merchant_approve_refund", "orders",
        "/merchant/orders/{id}/refund/approve", "Approve the order's refund waiting longest for an answer"),
    _op("POST", "/api/merchant/orders/{id}/refund/reject", "merchant_reject_refund", "orders",
        "/merchant/orders/{id}/refund/reject", "Reject the order's refund waiting longest for an answer"),
    Operation("POST", "/api/merchant/orders/{id}/refund",
              forward("merchant_refund", "orders", "POST", "/merchant/orders/{id}/refund"),
              "Refund some units (without lines: all still refundable) on the merchant's own account: approved "
              "at once", "merchant", auth="staff", body=MerchantRefundBody, answer=RefundOut, status=201,
              idempotent=True),
    Operation("POST", "/api/merchant/refunds/{id}/approve",
              forward("merchant_refund_approve", "orders", "POST", "/merchant/refunds/{id}/approve"),
              "Approve a refund: the money goes back now, or once the goods are back for a return", "merchant",
              auth="staff", answer=RefundOut, idempotent=True),
    Operation("POST", "/api/merchant/refunds/{id}/reject",
              forward("merchant_refund_reject", "orders", "POST", "/merchant/refunds/{id}/reject"),
              "Reject a refund waiting for an answer, with a reason", "merchant", auth="staff", body=RejectBody,
              answer=RefundOut, idempotent=True),
    Operation("POST", "/api/merchant/refunds/{id}/receive-return",
              forward("merchant_receive_return", "orders", "POST", "/merchant/refunds/{id}/receive-return"),
              "The returned goods arrived: the money goes back and the units go back on sale", "merchant",
              auth="staff", answer=RefundOut, idempotent=True),
    _op("POST", "/api/merchant/orders/{id}/deposit/release", "merchant_release_deposit", "payments",
        "/merchant/orders/{id}/deposit/release", "Release a rental deposit when the rental ends"),
    _op("GET", "/api/merchant/pay-later", "merchant_pay_later", "payments", "/merchant/pay-later",
        "What buyers still owe on the merchant's pay-later orders (open and overdue)"),
    _op("GET", "/api/merchant/huabei-offers", "merchant_huabei_offers", "payments", "/merchant/huabei-offers",
        "The Huabei instalments the merchant offers (who pays the fee, from which amount)"),
    _op("PUT", "/api/merchant/huabei-offers", "merchant_set_huabei_offers", "payments", "/merchant/huabei-offers",
        "Replace the merchant's Huabei offers", body=True),
    _op("DELETE", "/api/merchant/huabei-offers", "merchant_reset_huabei_offers", "payments",
        "/merchant/huabei-offers", "Back to the mall's default Huabei offers"),
    _op("GET", "/api/merchant/alipay-card", "merchant_alipay_card", "marketing", "/merchant/alipay-card",
        "The merchant's member card in Alipay's card package (its template)"),
    _op("PUT", "/api/merchant/alipay-card", "merchant_set_alipay_card", "marketing", "/merchant/alipay-card",
        "Create the merchant's member card in Alipay's card package (once; buyers who claim the card get it there)",
        body=True),
    _op("GET", "/api/merchant/campaigns", "merchant_campaigns", "marketing", "/merchant/campaigns",
        "The merchant's campaigns", answer=Items),
    _op("POST", "/api/merchant/campaigns", "merchant_create_campaign", "marketing", "/merchant/campaigns",
        "Create a campaign", body=True, status=201),
    _op("PATCH", "/api/merchant/campaigns/{id}", "merchant_campaign_status", "marketing",
        "/merchant/campaigns/{id}", "Pause, resume or end a campaign", body=True),
    _op("POST", "/api/merchant/campaigns/{id}/templates", "merchant_create_template", "marketing",
        "/merchant/campaigns/{id}/templates", "Add a coupon template to a campaign", body=True, status=201),
    _op("GET", "/api/merchant/campaigns/{id}/stats", "merchant_campaign_stats", "marketing",
        "/merchant/campaigns/{id}/stats", "Claims, uses and spend of a campaign"),
    _op("POST", "/api/merchant/store-codes", "merchant_store_code", "marketing", "/merchant/store-codes",
        "A signed, expiring claim code for a store's coupon", body=True, status=201),
    _op("GET", "/api/merchant/group-buy/deals", "merchant_group_deals", "marketing", "/merchant/group-buy/deals",
        "The merchant's group-buy (拼团) deals", answer=Items),
    _op("POST", "/api/merchant/group-buy/deals", "merchant_create_group_deal", "marketing",
        "/merchant/group-buy/deals", "Create a group-buy deal on a SKU: group_price_fen, group_size, "
        "time_limit_hours, starts_at, ends_at", body=True, status=201),
    _op("GET", "/api/merchant/group-buy/deals/{id}", "merchant_group_deal", "marketing",
        "/merchant/group-buy/deals/{id}", "One of the merchant's group-buy deals"),
    _op("PATCH", "/api/merchant/group-buy/deals/{id}", "merchant_change_group_deal", "marketing",
        "/merchant/group-buy/deals/{id}", "Change a group-buy deal (groups already open keep their terms)",
        body=True),
    _op("DELETE", "/api/merchant/group-buy/deals/{id}", "merchant_end_group_deal", "marketing",
        "/merchant/group-buy/deals/{id}", "End a group-buy deal: no new groups; open ones run to their deadline"),
    _op("GET", "/api/merchant/metrics", "merchant_metrics", "analytics", "/merchant/metrics",
        "Sales, conversion by entry point, coupons, group-buy success rate, retention, fulfilment (time from paid "
        "to shipped, delivered and picked up; pickup share by store), review rating trend, member-price uptake",
        query=RangeQuery, answer=MetricsOut),
    _op("GET", "/api/merchant/metrics/top-products", "merchant_top_products", "analytics",
        "/merchant/metrics/top-products", "Best sellers in a date range", query=TopQuery),
]
