"""The merchant API for staff tokens: products and stock (catalog), orders (orders), campaigns and coupons
(marketing), metrics (analytics). The token's merchant id goes to the service as `X-Merchant-Id`; the
service only ever touches that merchant's data."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from services.gateway.models import Anything, Items
from services.gateway.routes import Operation, QueryModel, forward
from shared.http import StrictModel


class MerchantBody(StrictModel):
    """A merchant write; its fields are the owning service's (see its API.md), which validates them."""

    model_config = ConfigDict(extra="allow")


class ListQuery(QueryModel):
    status: str | None = Field(default=None, max_length=32)
    page: int | None = Field(default=None, ge=1, le=1000)
    page_size: int | None = Field(default=None, ge=1, le=100)


class MetricsQuery(QueryModel):
    days: int | None = Field(default=None, ge=1, le=366)


def _op(method: str, path: str, name: str, service: str, target: str, summary: str, *, body: bool = False,
        query: type[QueryModel] | None = None, answer: type = Anything, status: int = 200) -> Operation:
    return Operation(method, path, forward(name, service, method, target), summary, "merchant", auth="staff",
                     body=MerchantBody if body else None, query=query, answer=answer, status=status)


OPERATIONS = [
    _op("GET", "/api/merchant/products", "merchant_products", "catalog", "/merchant/products",
        "The merchant's products", query=ListQuery, answer=Items),
    _op("POST", "/api/merchant/products", "merchant_create_product", "catalog", "/merchant/products",
        "Create a product with its SKUs", body=True, status=201),
    _op("GET", "/api/merchant/products/{id}", "merchant_product", "catalog", "/merchant/products/{id}",
        "One of the merchant's products"),
    _op("PATCH", "/api/merchant/products/{id}", "merchant_update_product", "catalog",
        "/merchant/products/{id}", "Change a product", body=True),
    _op("PATCH", "/api/merchant/skus/{id}", "merchant_update_sku", "catalog", "/merchant/skus/{id}",
        "Change a SKU (price, sellable)", body=True),
    _op("PUT", "/api/merchant/skus/{id}/stock", "merchant_set_stock", "catalog", "/merchant/skus/{id}/stock",
        "Set or adjust a SKU's stock", body=True),
    _op("GET", "/api/merchant/orders", "merchant_orders", "orders", "/merchant/orders",
        "The merchant's orders", query=ListQuery, answer=Items),
    _op("GET", "/api/merchant/orders/{id}", "merchant_order", "orders", "/merchant/orders/{id}",
        "One of the merchant's orders"),
    _op("POST", "/api/merchant/orders/{id}/ship", "merchant_ship_order", "orders",
        "/merchant/orders/{id}/ship", "Ship a paid order", body=True),
    _op("POST", "/api/merchant/orders/{id}/refund/approve", "merchant_approve_refund", "orders",
        "/merchant/orders/{id}/refund/approve", "Approve a refund request", body=True),
    _op("GET", "/api/merchant/campaigns", "merchant_campaigns", "marketing", "/merchant/campaigns",
        "The merchant's campaigns", query=ListQuery, answer=Items),
    _op("POST", "/api/merchant/campaigns", "merchant_create_campaign", "marketing", "/merchant/campaigns",
        "Create a campaign", body=True, status=201),
    _op("POST", "/api/merchant/campaigns/{id}/templates", "merchant_create_template", "marketing",
        "/merchant/campaigns/{id}/templates", "Add a coupon template to a campaign", body=True, status=201),
    _op("GET", "/api/merchant/coupon-templates", "merchant_coupon_templates", "marketing",
        "/merchant/coupon-templates", "The merchant's coupon templates", query=ListQuery, answer=Items),
    _op("POST", "/api/merchant/stores/{id}/claim-codes", "merchant_store_claim_code", "marketing",
        "/merchant/stores/{id}/claim-codes", "A signed, expiring claim code for a store", body=True,
        status=201),
    _op("GET", "/api/merchant/metrics", "merchant_metrics", "analytics", "/merchant/metrics",
        "Sales, conversion by entry point, coupon use", query=MetricsQuery),
]
