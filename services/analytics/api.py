"""HTTP routes of the analytics service (only the gateway calls them); see API.md."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from pydantic import Field

from services.analytics import domain, store
from services.analytics.settings import AnalyticsSettings
from shared.db import Database
from shared.http import StrictModel, ValidationProblem, current_merchant, json_response, parse_query
from shared.service import DB, SETTINGS

routes = web.RouteTableDef()


class RangeQuery(StrictModel):
    from_: date = Field(alias="from")
    to: date


class TopProductsQuery(RangeQuery):
    limit: int = Field(default=10, ge=1, le=100)


def checked_range(query: RangeQuery) -> domain.DateRange:
    try:
        return domain.DateRange.checked(query.from_, query.to)
    except domain.RangeError as exc:
        raise ValidationProblem(exc.message, code="invalid_date_range",
                                errors=[{"field": exc.field, "message": exc.message}]) from exc


@routes.get("/merchant/metrics")
async def metrics(request: web.Request) -> web.Response:
    merchant = current_merchant(request)
    span = checked_range(parse_query(request, RangeQuery))
    settings = request.app[SETTINGS]
    limit = settings.top_products if isinstance(settings, AnalyticsSettings) else 10
    db = request.app[DB]
    report = await merchant_report(db, merchant, span, limit)
    args = (db, merchant, span.first, span.last)
    report["reviews"] = domain.review_trend(span, await store.reviews_by_day(*args))
    report["member_prices"] = domain.member_price_uptake(await store.member_prices(*args))
    return json_response(report)


@routes.get("/merchant/metrics/top-products")
async def top_products(request: web.Request) -> web.Response:
    merchant = current_merchant(request)
    query = parse_query(request, TopProductsQuery)
    span = checked_range(query)
    rows = await store.top_products(request.app[DB], merchant, span.first, span.last, query.limit)
    return json_response({"merchant_id": merchant, "from": span.first.isoformat(), "to": span.last.isoformat(),
                          "top_products": [domain.product_row(r) for r in rows]})


async def merchant_report(db: Database, merchant: str, span: domain.DateRange, limit: int) -> dict[str, Any]:
    args = (db, merchant, span.first, span.last)
    return domain.build_report(
        merchant_id=merchant, span=span,
        paid=await store.paid_by_day_method(*args), orders=await store.orders_by_day_method(*args),
        refunds=await store.refunds_by_day_method(*args), cost=await store.marketing_cost(*args),
        coupons=await store.coupons(*args), retention=await store.retention(*args),
        visitors=await store.visitors_by_entry(*args), entry_orders=await store.paid_orders_by_entry(*args),
        top_products=await store.top_products(*args, limit), fulfilment=await fulfilment_report(db, merchant, span),
        group_buys=await store.group_buys(*args))


async def fulfilment_report(db: Database, merchant: str, span: domain.DateRange) -> dict[str, Any]:
    args = (db, merchant, span.first, span.last)
    return {"to_shipped": domain.time_from_paid(span, await store.time_from_paid(*args, "shipped")),
            "to_delivered": domain.time_from_paid(span, await store.time_from_paid(*args, "delivered")),
            "to_picked_up": domain.time_from_paid(span, await store.time_from_paid(*args, "picked_up")),
            "pickup": domain.pickup_share(await store.paid_by_delivery(*args))}
