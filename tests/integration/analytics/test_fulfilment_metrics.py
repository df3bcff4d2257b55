"""Fulfilment metrics (METRICS.md) against hand-computed answers: time from paid to shipped, to delivered and to
picked up (median and 90th percentile, per day and over the range), and the pickup share by store, from a
fixed stream of order events through the real bus into the real service."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from shared.events.marketing import GroupBuySucceeded
from shared.events.orders import (
    Delivery,
    OrderDelivered,
    OrderPaid,
    OrderPickedUp,
    OrderPlaced,
    OrderShipped,
)
from tests.integration.analytics.stream import at, envelope, line, open_bus, publish_all, wait_handled

M1, M2, M3 = "m-1", "m-2", "m-3"
D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    return at(day, hour) + timedelta(minutes=minute)


def order(order_id: str, merchant: str, store_id: str | None, paid: datetime) -> list:
    who = {"order_id": order_id, "user_id": "u1", "merchant_id": merchant}
    delivery = Delivery(method="pickup", store_id=store_id) if store_id else Delivery(method="express")
    return [envelope(OrderPlaced(**who, lines=[line("P1", 1, 1_000)], subtotal_fen=1_000, delivery=delivery),
                     paid - timedelta(minutes=5)),
            envelope(OrderPaid(**who, payable_fen=1_000, method="alipay"), paid)]


def who(order_id: str, merchant: str = M1) -> dict[str, str]:
    return {"order_id": order_id, "user_id": "u1", "merchant_id": merchant}


def stream() -> list:
    return [
        *order("o1", M1, None, moment(D1, 10)),
        envelope(OrderShipped(**who("o1")), moment(D1, 12)),  # 2 h = 7 200 s
        envelope(OrderDelivered(**who("o1")), moment(D3, 12)),  # 50 h = 180 000 s
        *order("o2", M1, None, moment(D1, 11)),
        envelope(OrderShipped(**who("o2")), moment(D2, 11)),  # 24 h = 86 400 s
        envelope(OrderDelivered(**who("o2")), moment(D3, 11)),  # 48 h = 172 800 s
        *order("o3", M1, None, moment(D2, 10)),
        envelope(OrderShipped(**who("o3")), moment(D2, 14)),  # 4 h = 14 400 s, not delivered yet
        *order("o4", M1, "S1", moment(D1, 10)),
        envelope(OrderPickedUp(**who("o4"), store_id="S1"), moment(D1, 16)),  # 6 h = 21 600 s
        *order("o5", M1, "S2", moment(D2, 9)),
        envelope(OrderPickedUp(**who("o5"), store_id="S2"), moment(D3, 9)),  # 24 h = 86 400 s
        *order("o6", M1, "S1", moment(D2, 10)),  # paid, not picked up yet
        *order("o9", M2, None, moment(D1, 10)),  # another merchant's
        envelope(OrderShipped(**who("o9", M2)), moment(D1, 11)),
        # A group-buy pickup order paid while its group waited: its time counts from the group filling.
        envelope(OrderPlaced(**who("o7", M3), lines=[line("P1", 1, 1_000)], subtotal_fen=1_000,
                             delivery=Delivery(method="pickup", store_id="S3")), moment(D1, 9)),
        envelope(OrderPaid(**who("o7", M3), payable_fen=1_000, method="alipay", group_held=True), moment(D1, 10)),
        envelope(GroupBuySucceeded(group_id="g1", deal_id="d1", merchant_id=M3, order_ids=["o7"]), moment(D2, 10)),
        envelope(OrderPickedUp(**who("o7", M3), store_id="S3"), moment(D2, 16)),  # 6 h after the group filled
    ]


async def test_fulfilment_times_and_pickup_share_match_hand_computed_answers(settings_for, start_app, database_url,
                                                                           amqp_url, bus_prefix):
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        events = stream()
        await publish_all(bus, events)
        await wait_handled(database_url, len(events))
        replay = envelope(OrderShipped(**who("o1")), moment(D2, 18))  # the same fact again: the first one counts
        await publish_all(bus, [replay])
        await wait_handled(database_url, len(events) + 1)
        resp = await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-03"},
                                headers={"X-Merchant-Id": M1})
        assert resp.status == 200
        report = (await resp.json())["fulfilment"]
        resp = await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-03"},
                                headers={"X-Merchant-Id": M3})
        group_report = (await resp.json())["fulfilment"]
    finally:
        await bus.close()

    # percentile_cont: the median of 7 200, 14 400, 86 400 is 14 400; p90 lies 0.8 of the way from 14 400 to
    # 86 400 (index 0.9 × 2 = 1.8): 72 000. On 03-02: 14 400 and 86 400 → median 50 400, p90 79 200.
    assert report["to_shipped"] == {"orders": 3, "median_s": 14_400, "p90_s": 72_000, "daily": [
        {"day": "2025-03-01", "orders": 1, "median_s": 7_200, "p90_s": 7_200},
        {"day": "2025-03-02", "orders": 2, "median_s": 50_400, "p90_s": 79_200},
        {"day": "2025-03-03", "orders": 0, "median_s": None, "p90_s": None}]}
    # 172 800 and 180 000: median 176 400, p90 172 800 + 0.9 × 7 200 = 179 280.
    assert report["to_delivered"] == {"orders": 2, "median_s": 176_400, "p90_s": 179_280, "daily": [
        {"day": "2025-03-01", "orders": 0, "median_s": None, "p90_s": None},
        {"day": "2025-03-02", "orders": 0, "median_s": None, "p90_s": None},
        {"day": "2025-03-03", "orders": 2, "median_s": 176_400, "p90_s": 179_280}]}
    # 21 600 and 86 400: median 54 000, p90 21 600 + 0.9 × 64 800 = 79 920.
    assert report["to_picked_up"]["orders"] == 2
    assert (report["to_picked_up"]["median_s"], report["to_picked_up"]["p90_s"]) == (54_000, 79_920)
    assert [d["orders"] for d in report["to_picked_up"]["daily"]] == [1, 0, 1]
    # Six paid orders with a delivery (o1-o6); three to pick up: two at S1 (o4, o6), one at S2.
    assert report["pickup"] == {"orders": 6, "pickup_orders": 3, "share": 0.5, "by_store": [
        {"store_id": "S1", "orders": 2, "share": 0.3333}, {"store_id": "S2", "orders": 1, "share": 0.1667}]}
    assert (group_report["to_picked_up"]["orders"], group_report["to_picked_up"]["median_s"]) == (1, 21_600)
