"""The metrics API refuses bad input with problem documents naming the field; never a 500."""

from __future__ import annotations

import pytest

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings

MERCHANT = {"X-Merchant-Id": "m-1"}


@pytest.fixture
async def client(settings_for, start_app):
    return await start_app(create_app(settings_for(AnalyticsSettings)))


BAD_RANGES = [
    ({"from": "2025-03-02", "to": "2025-03-01"}, "to", "invalid_date_range"),
    ({"from": "2024-01-01", "to": "2025-01-01"}, "to", "invalid_date_range"),
    ({"from": "2025-02-30", "to": "2025-03-01"}, "from", "validation_error"),
    ({"from": "yesterday", "to": "2025-03-01"}, "from", "validation_error"),
    ({"to": "2025-03-01"}, "from", "validation_error"),
    ({"from": "2025-03-01", "to": "2025-03-01", "merchant": "m-2"}, "merchant", "validation_error"),
]


async def test_bad_ranges_are_refused_naming_the_field(client):
    # One server for every case: starting one per case would cost seconds each for nothing.
    for query, field, code in BAD_RANGES:
        resp = await client.get("/merchant/metrics", params=query, headers=MERCHANT)
        assert resp.status == 422, query
        assert resp.content_type == "application/problem+json"
        doc = await resp.json()
        assert doc["code"] == code, query
        assert field in [e["field"] for e in doc["errors"]], query


async def test_top_products_limit_is_bounded(client):
    resp = await client.get("/merchant/metrics/top-products",
                            params={"from": "2025-03-01", "to": "2025-03-01", "limit": "1000"}, headers=MERCHANT)
    assert resp.status == 422
    assert [e["field"] for e in (await resp.json())["errors"]] == ["limit"]


async def test_metrics_need_a_merchant(client):
    resp = await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-01"})
    assert resp.status == 403
    assert (await resp.json())["code"] == "merchant_only"


async def test_an_empty_shop_has_a_full_report_of_zeros(client):
    resp = await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-07"}, headers=MERCHANT)
    assert resp.status == 200
    report = await resp.json()
    assert report["kpis"]["orders"] == 0 and len(report["daily"]) == 7 and report["top_products"] == []
