"""Every event analytics consumes is kept once in event_log, as it came (the raw record later metrics can
be computed from): those that feed facts as well as those kept only there, a redelivery adding nothing."""

from __future__ import annotations

import json
from datetime import date

import asyncpg

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from shared.events.catalog import ReservedLine, StockReserved
from shared.events.orders import OrderPaid
from tests.integration.analytics.stream import (
    active,
    at,
    claimed,
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
DAY = date(2025, 5, 6)


async def test_each_event_is_logged_once_with_its_data(settings_for, start_app, database_url, amqp_url, bus_prefix):
    await start_app(create_app(settings_for(AnalyticsSettings)))
    events = [
        envelope(active("u1", DAY, "search", M1), at(DAY, 9)),
        envelope(claimed("c1", "u1", None), at(DAY, 9)),  # no merchant on the claim: none in the log either
        envelope(placed("o1", "u1", M1, "search", [line("P1", 2, 5_000)]), at(DAY, 10)),
        envelope(StockReserved(order_id="o1", lines=[ReservedLine(sku_id="sku-P1", qty=2)]), at(DAY, 10)),
        envelope(confirmed("o1", "u1", M1, "search", 10_000), at(DAY, 10)),
        envelope(paid("pay1", "o1", "u1", M1, "alipay", 10_000), at(DAY, 11)),
        envelope(OrderPaid(order_id="o1", user_id="u1", merchant_id=M1, payable_fen=10_000, method="alipay"),
                 at(DAY, 11)),
        envelope(OrderPaid(order_id="o2", user_id="u1", merchant_id=M1, payable_fen=3_000, method="alipay",
                           group_held=True), at(DAY, 11)),
        envelope(paid("pay1b", "o1", "u1", M1, "alipay", 10_000), at(DAY, 12)),
        envelope(refunded("r1b", "pay1b", "o1", "u1", M1, 10_000, unwanted=True), at(DAY, 12)),
    ]
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        await publish_all(bus, [*events, events[2], events[5]])  # two delivered again
        await wait_handled(database_url, len(events))
    finally:
        await bus.close()

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT event_id, event_type, occurred_at, merchant_id, data::text AS data "
                                "FROM analytics.event_log")
    finally:
        await conn.close()
    assert len(rows) == len(events)
    assert {r["event_id"]: (r["event_type"], r["occurred_at"], r["merchant_id"], json.loads(r["data"]))
            for r in rows} == {
        e.id: (e.type, e.occurred_at, getattr(e.data, "merchant_id", None), e.data.model_dump(mode="json"))
        for e in events}
