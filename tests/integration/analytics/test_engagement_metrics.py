"""The review rating trend and member-price uptake in the merchant metrics, from events through the real bus
into the real analytics service, against hand-computed answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp.test_utils import TestClient

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from shared.events import Event
from shared.events.catalog import ReviewVisibilityChanged, ReviewWritten
from shared.events.common import Line
from tests.integration.analytics.stream import at, envelope, line, open_bus, paid, placed, publish_all, wait_handled

M1, M2 = "m-1", "m-2"
D1, D2 = date(2025, 3, 1), date(2025, 3, 2)


def review(review_id: str, rating: int, merchant: str = M1, images: bool = False) -> ReviewWritten:
    return ReviewWritten(review_id=review_id, order_id="o", product_id="P1", merchant_id=merchant, user_id="u",
                         rating=rating, with_images=images)


def member_line(qty: int, unit: int, list_price: int) -> Line:
    return Line(sku_id="sku-M", product_id="PM", qty=qty, unit_price_fen=unit, list_price_fen=list_price)


async def metrics_after(client: TestClient, amqp_url: str, bus_prefix: str, database_url: str,
                        events: list[Event[Any]], repeat: Event[Any], to: date) -> dict[str, Any]:
    """M1's metrics from D1 to `to`, once analytics has handled `events` and `repeat` sent again after them.

    A repeat adds no inbox row, so a marker (another merchant's review) follows it: one queue delivers in
    order, and once the marker is in, the repeat has been handled too."""
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        await publish_all(bus, events)
        await publish_all(bus, [repeat, envelope(review("r_marker", 3, M2), at(D1, 12))])
        await wait_handled(database_url, len(events) + 1)
        resp = await client.get("/merchant/metrics", params={"from": D1.isoformat(), "to": to.isoformat()},
                                headers={"X-Merchant-Id": M1})
        assert resp.status == 200
        report: dict[str, Any] = await resp.json()
        return report
    finally:
        await bus.close()


async def test_rating_trend_and_member_price_uptake(settings_for, start_app, database_url, amqp_url, bus_prefix):
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    events = [
        envelope(review("r1", 5, images=True), at(D1, 10)), envelope(review("r2", 4), at(D1, 11)),
        envelope(review("r3", 1), at(D2, 10)), envelope(review("r9", 1, M2), at(D2, 10)),
        # o1: a member-priced line (2 × (1000 − 800) = 400 off) beside a plain one; o2: plain; o3 unpaid
        envelope(placed("o1", "u1", M1, "home", [member_line(2, 800, 1000), line("P1", 1, 500)]), at(D1, 9)),
        envelope(paid("p1", "o1", "u1", M1, "alipay", 2100), at(D1, 9)),
        envelope(placed("o2", "u2", M1, "home", [line("P1", 1, 500)]), at(D2, 9)),
        envelope(paid("p2", "o2", "u2", M1, "alipay", 500), at(D2, 9)),
        envelope(placed("o3", "u3", M1, "home", [member_line(1, 800, 1000)]), at(D2, 9)),
    ]
    report = await metrics_after(client, amqp_url, bus_prefix, database_url, events,
                                 repeat=events[0], to=D2)  # a repeat counts once

    assert report["reviews"] == {
        "reviews": 3, "average": 3.33, "stars": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}, "with_images": 1,
        "daily": [{"day": "2025-03-01", "reviews": 2, "average": 4.5},
                  {"day": "2025-03-02", "reviews": 1, "average": 1.0}]}
    assert report["member_prices"] == {"orders": 2, "member_orders": 1, "share": 0.5, "saving_fen": 400}


def visibility(review_id: str, hidden: bool, revision: int) -> ReviewVisibilityChanged:
    return ReviewVisibilityChanged(review_id=review_id, merchant_id=M1, hidden=hidden, revision=revision)


async def test_hidden_reviews_leave_the_rating_trend_whatever_the_arrival_order(
        settings_for, start_app, database_url, amqp_url, bus_prefix):
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    hide_r2 = envelope(visibility("r2", True, 1), at(D1, 13))
    events = [
        # r1 hidden before its review arrives; r2 hidden, then shown again, the show arriving first
        envelope(visibility("r1", True, 1), at(D1, 12)),
        envelope(visibility("r2", False, 2), at(D1, 14)), hide_r2,
        envelope(review("r1", 1), at(D1, 10)), envelope(review("r2", 4), at(D1, 11)),
        envelope(review("r3", 5), at(D1, 11)),
        # r3 hidden, shown, hidden again: the last one holds
        envelope(visibility("r3", True, 3), at(D1, 16)), envelope(visibility("r3", True, 1), at(D1, 12)),
        envelope(visibility("r3", False, 2), at(D1, 14)),
    ]
    report = await metrics_after(client, amqp_url, bus_prefix, database_url, events,
                                 repeat=hide_r2, to=D1)  # a repeat of an old change changes nothing

    assert report["reviews"] == {
        "reviews": 1, "average": 4.0, "stars": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}, "with_images": 0,
        "daily": [{"day": "2025-03-01", "reviews": 1, "average": 4.0}]}
