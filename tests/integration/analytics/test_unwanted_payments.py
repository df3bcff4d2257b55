"""Payments refunded as unwanted (late for a cancelled order, a second payment, a wrong amount) bought
nothing: after their refund, no figure counts them, whichever of payment and refund arrived first."""

from __future__ import annotations

from datetime import date

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from tests.integration.analytics.stream import (
    active,
    at,
    cancelled,
    confirmed,
    envelope,
    line,
    open_bus,
    paid,
    placed,
    publish_all,
    refunded,
    wait_handled,
)

M1 = "m-1"
DAY = date(2025, 4, 1)


async def test_unwanted_payments_count_in_no_figure(settings_for, start_app, database_url, amqp_url, bus_prefix):
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    events = [
        envelope(active("u1", DAY, "search", M1), at(DAY, 9)),
        envelope(active("u2", DAY, "search", M1), at(DAY, 9)),
        # o1: paid once (kept), then paid a second time (refunded as unwanted)
        envelope(placed("o1", "u1", M1, "search", [line("P1", 1, 10_000)]), at(DAY, 10)),
        envelope(confirmed("o1", "u1", M1, "search", 10_000), at(DAY, 10)),
        envelope(paid("pay1", "o1", "u1", M1, "alipay", 10_000), at(DAY, 11)),
        envelope(paid("pay1b", "o1", "u1", M1, "alipay", 10_000), at(DAY, 11)),
        envelope(refunded("r1b", "pay1b", "o1", "u1", M1, 10_000, unwanted=True), at(DAY, 12)),
        # o2: cancelled, then its lost payment is learned and refunded at once; the refund arrives first
        envelope(placed("o2", "u2", M1, "search", [line("P2", 2, 20_000)]), at(DAY, 10)),
        envelope(confirmed("o2", "u2", M1, "search", 40_000), at(DAY, 10)),
        envelope(cancelled("o2", "u2", M1), at(DAY, 13)),
        envelope(refunded("r2", "pay2", "o2", "u2", M1, 40_000, unwanted=True), at(DAY, 13)),
        envelope(paid("pay2", "o2", "u2", M1, "huabei", 40_000, installments=3), at(DAY, 13)),
        # o3: a real sale with an ordinary (wanted) refund of part of it: still a paid order
        envelope(placed("o3", "u1", M1, "search", [line("P2", 1, 20_000)]), at(DAY, 14)),
        envelope(confirmed("o3", "u1", M1, "search", 20_000), at(DAY, 14)),
        envelope(paid("pay3", "o3", "u1", M1, "balance", 20_000), at(DAY, 14)),
        envelope(refunded("r3", "pay3", "o3", "u1", M1, 5_000), at(DAY, 15)),
    ]
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        await publish_all(bus, events)
        await wait_handled(database_url, len(events))
    finally:
        await bus.close()
    report = await (await client.get("/merchant/metrics", params={"from": DAY.isoformat(), "to": DAY.isoformat()},
                                     headers={"X-Merchant-Id": M1})).json()
    kpis = report["kpis"]
    assert (kpis["orders"], kpis["paid_fen"], kpis["refunded_fen"], kpis["gmv_fen"], kpis["aov_fen"]) == (
        2, 30_000, 5_000, 25_000, 12_500)  # o1 and o3; pay1b, pay2 and their refunds are in nothing
    assert report["daily"] == [{"day": DAY.isoformat(), "paid_fen": 30_000, "refunded_fen": 5_000,
                                "gmv_fen": 25_000, "orders": 2}]
    assert [(m["method"], m["orders"], m["paid_fen"]) for m in report["payment_mix"]] == [
        ("alipay", 1, 10_000), ("balance", 1, 20_000)]  # no huabei: pay2 bought nothing
    search = next(c for c in report["conversion_by_entry"] if c["entry"] == "search")
    assert (search["visitors"], search["paid_orders"]) == (2, 2)
    assert report["top_products"] == [
        {"product_id": "P2", "name": "Product P2", "qty": 1, "sales_fen": 15_000, "orders": 1},
        {"product_id": "P1", "name": "Product P1", "qty": 1, "sales_fen": 10_000, "orders": 1},
    ]
