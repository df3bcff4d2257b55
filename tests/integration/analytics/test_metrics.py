"""Metric definitions (METRICS.md) against hand-computed answers for a fixed stream of events.

The stream goes through the real bus into the real service. It holds an exact redelivery (same event id),
replays of facts under new ids, events of another merchant, events outside the range, and late events
(published after the rest was counted, with an earlier occurred_at) which must land on their own day.
"""

from __future__ import annotations

from datetime import date

from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from shared.events.marketing import GroupBuyFailed, GroupBuySucceeded
from tests.integration.analytics.stream import (
    active,
    at,
    cancelled,
    claimed,
    confirmed,
    coupon_back,
    envelope,
    line,
    open_bus,
    paid,
    placed,
    publish_all,
    redeemed,
    refunded,
    wait_handled,
)

M1, M2 = "m-1", "m-2"
D = {n: date(2025, 3, n) for n in range(1, 10)}
FEB27, FEB28 = date(2025, 2, 27), date(2025, 2, 28)


def on_time_events():
    visit_u1 = envelope(active("u1", D[1], "search", M1), at(D[1], 9))
    pay1 = envelope(paid("pay1", "o1", "u1", M1, "alipay", 9_000), at(D[1], 11))
    events = [
        visit_u1, envelope(active("u1", D[8], "search", M1), at(D[8])),
        envelope(active("u2", D[1], "scan", M1), at(D[1])), envelope(active("u2", D[5], "scan", M1), at(D[5])),
        envelope(active("u3", D[1], "search", None), at(D[1])),  # a mall-wide visit counts for every shop
        envelope(active("u4", D[2], "favorites", M1), at(D[2])),
        envelope(active("u4", D[9], "favorites", M1), at(D[9])),
        envelope(active("u5", FEB28, "search", M1), at(FEB28)), envelope(active("u5", D[3], "search", M1), at(D[3])),
        envelope(active("u6", D[1], "search", M2), at(D[1])),
        # o1: alipay, coupon c1 (redemption arrives before the claim: see late_events)
        envelope(placed("o1", "u1", M1, "search", [line("P1", 2, 5_000)], coupon_id="c1"), at(D[1], 10)),
        envelope(confirmed("o1", "u1", M1, "search", 10_000, discount_fen=1_000), at(D[1], 10)),
        pay1,
        envelope(redeemed("c1", "o1", "u1", M1, 1_000), at(D[1], 11)),
        # o2: Huabei in 3, paid partly with points
        envelope(placed("o2", "u2", M1, "scan", [line("P2", 1, 30_000)]), at(D[2])),
        envelope(confirmed("o2", "u2", M1, "scan", 30_000, points_fen=500), at(D[2])),
        envelope(paid("pay2", "o2", "u2", M1, "huabei", 29_500, installments=3), at(D[2], 13)),
        # o3: balance, 20 yuan refunded the next day
        envelope(placed("o3", "u3", M1, "search", [line("P1", 1, 5_000), line("P3", 1, 2_000)]), at(D[3])),
        envelope(confirmed("o3", "u3", M1, "search", 7_000), at(D[3])),
        envelope(paid("pay3", "o3", "u3", M1, "balance", 7_000), at(D[3], 13)),
        envelope(refunded("ref1", "pay3", "o3", "u3", M1, 2_000), at(D[4])),
        # o4 is placed now; its confirmation and payment come late
        envelope(placed("o4", "u4", M1, "favorites", [line("P2", 1, 30_000)]), at(D[2], 14)),
        # o5 cancelled: never paid, never counts
        envelope(placed("o5", "u5", M1, "search", [line("P3", 1, 2_000)]), at(D[3])),
        envelope(confirmed("o5", "u5", M1, "search", 2_000), at(D[3])),
        envelope(cancelled("o5", "u5", M1), at(D[3], 15)),
        # another merchant's sale, and our sale before the range
        envelope(placed("o6", "u6", M2, "search", [line("P9", 1, 50_000)]), at(D[2])),
        envelope(paid("pay6", "o6", "u6", M2, "alipay", 50_000), at(D[2])),
        envelope(placed("o7", "u1", M1, "search", [line("P1", 1, 1_000)]), at(FEB28)),
        envelope(paid("pay7", "o7", "u1", M1, "alipay", 1_000), at(FEB28)),
        # coupons: c0 claimed before the range (its redemption in range does not count), c2, c3, others'
        envelope(claimed("c0", "u1", M1), at(FEB27)), envelope(redeemed("c0", "o7", "u1", M1, 0), at(FEB28)),
        envelope(claimed("c2", "u2", M1), at(D[1])), envelope(claimed("c3", "u3", M1), at(D[2])),
        envelope(claimed("c5", "u6", M2), at(D[2])), envelope(claimed("c6", "u4", None), at(D[2])),
        # group buys: g1 and g2 succeeded, g3 failed in range; g0 ended before it; g9 is another merchant's
        envelope(group_ended("g1", M1, succeeded=True), at(D[2])),
        envelope(group_ended("g2", M1, succeeded=True), at(D[5])),
        envelope(group_ended("g3", M1, succeeded=False), at(D[6])),
        envelope(group_ended("g0", M1, succeeded=False), at(FEB28)),
        envelope(group_ended("g9", M2, succeeded=False), at(D[3])),
    ]
    return events, visit_u1, pay1


def group_ended(group_id: str, merchant: str, *, succeeded: bool) -> GroupBuySucceeded | GroupBuyFailed:
    ended = GroupBuySucceeded if succeeded else GroupBuyFailed
    return ended(group_id=group_id, deal_id="gbd-1", merchant_id=merchant, order_ids=[f"{group_id}-o1"])


def late_events(visit_u1, pay1):
    return [
        envelope(paid("pay4", "o4", "u4", M1, "huabei", 30_000, installments=6), at(D[2], 15)),
        envelope(confirmed("o4", "u4", M1, "favorites", 30_000), at(D[2], 14)),  # after its payment
        envelope(claimed("c1", "u1", M1), at(D[1], 8)),  # after its redemption
        # duplicates: the same event again, and the same facts under new event ids
        visit_u1, pay1,
        envelope(active("u1", D[1], "search", M1), at(D[1], 9)),
        envelope(paid("pay1", "o1", "u1", M1, "alipay", 9_000), at(D[1], 11)),
        envelope(claimed("c2", "u2", M1), at(D[1])),
        envelope(group_ended("g1", M1, succeeded=True), at(D[2])),  # a group ends once
    ]


def blank_days(first: int, last: int, filled: dict[int, tuple[int, int, int]]):
    out = []
    for n in range(first, last + 1):
        paid_fen, refunded_fen, orders = filled.get(n, (0, 0, 0))
        out.append({"day": D[n].isoformat(), "paid_fen": paid_fen, "refunded_fen": refunded_fen,
                    "gmv_fen": paid_fen - refunded_fen, "orders": orders})
    return out


EXPECTED_KPIS = {
    "gmv_fen": 73_500, "paid_fen": 75_500, "refunded_fen": 2_000, "orders": 4,
    "aov_fen": 18_375,  # 73 500 / 4
    "coupons_claimed": 3, "coupons_redeemed": 1, "coupon_redemption_rate": 0.3333,  # c1, c2, c3; c1 redeemed
    "discount_fen": 1_000, "points_fen": 500, "marketing_cost_fen": 1_500,
    "marketing_cost_ratio": 0.0204,  # 1 500 / 73 500
    "group_buys_succeeded": 2, "group_buys_failed": 1, "group_buy_success_rate": 0.6667,  # g1, g2 of g1-g3
}


async def test_metrics_match_hand_computed_answers(settings_for, start_app, database_url, amqp_url, bus_prefix):
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    bus = await open_bus(amqp_url, bus_prefix)
    try:
        events, visit_u1, pay1 = on_time_events()
        await publish_all(bus, events)
        await wait_handled(database_url, len(events))
        first = await (await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-08"},
                                         headers={"X-Merchant-Id": M1})).json()
        assert (first["kpis"]["orders"], first["kpis"]["gmv_fen"]) == (3, 43_500)
        assert first["kpis"]["coupons_claimed"] == 2

        late = late_events(visit_u1, pay1)
        await publish_all(bus, late)
        await wait_handled(database_url, len({e.id for e in events + late}))
        resp = await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-08"},
                                headers={"X-Merchant-Id": M1})
        assert resp.status == 200
        report = await resp.json()
    finally:
        await bus.close()

    assert report["kpis"] == EXPECTED_KPIS
    assert report["daily"] == blank_days(1, 8, {1: (9_000, 0, 1), 2: (59_500, 0, 2), 3: (7_000, 0, 1),
                                                4: (0, 2_000, 0)})
    assert report["aov_by_method"] == [
        {"method": "alipay", "orders": 1, "paid_fen": 9_000, "refunded_fen": 0, "gmv_fen": 9_000, "aov_fen": 9_000},
        {"method": "balance", "orders": 1, "paid_fen": 7_000, "refunded_fen": 2_000, "gmv_fen": 5_000,
         "aov_fen": 5_000},
        {"method": "huabei", "orders": 2, "paid_fen": 59_500, "refunded_fen": 0, "gmv_fen": 59_500,
         "aov_fen": 29_750},
    ]
    assert report["aov_by_group"] == [
        {"group": "huabei", "orders": 2, "gmv_fen": 59_500, "aov_fen": 29_750},
        {"group": "other", "orders": 2, "gmv_fen": 14_000, "aov_fen": 7_000},
    ]
    assert report["payment_mix"] == [
        {"method": "alipay", "orders": 1, "paid_fen": 9_000, "share_of_paid": 0.1192, "share_of_orders": 0.25},
        {"method": "balance", "orders": 1, "paid_fen": 7_000, "share_of_paid": 0.0927, "share_of_orders": 0.25},
        {"method": "huabei", "orders": 2, "paid_fen": 59_500, "share_of_paid": 0.7881, "share_of_orders": 0.5},
    ]
    retention = {r["cohort_day"]: (r["users"], r["retained_d7"], r["rate"]) for r in report["retention"]}
    assert retention == {D[n].isoformat(): (0, 0, None) for n in range(1, 9)} | {
        "2025-03-01": (3, 1, 0.3333),  # u1, u2, u3 (mall-wide); u1 back on 03-08
        "2025-03-02": (1, 1, 1.0),  # u4, back on 03-09 (day 7 may fall after the range)
    }
    assert report["conversion_by_entry"] == [
        {"entry": "search", "visitors": 3, "paid_orders": 2, "rate": 0.6667},  # u1, u3, u5; o1, o3
        {"entry": "scan", "visitors": 1, "paid_orders": 1, "rate": 1.0},
        {"entry": "favorites", "visitors": 1, "paid_orders": 1, "rate": 1.0},
        {"entry": "member_card", "visitors": 0, "paid_orders": 0, "rate": None},
        {"entry": "payment_success", "visitors": 0, "paid_orders": 0, "rate": None},
        {"entry": "nearby", "visitors": 0, "paid_orders": 0, "rate": None},
    ]
    # Sales are the products' shares of GMV (payments and refunds split over the order's lines by list
    # value): P2 29 500 + 30 000; P1 9 000 + 5 000 - 1 428 (5/7 of o3's 2 000 refund); P3 2 000 - 572.
    assert report["top_products"] == [
        {"product_id": "P2", "name": "Product P2", "qty": 2, "sales_fen": 59_500, "orders": 2},
        {"product_id": "P1", "name": "Product P1", "qty": 3, "sales_fen": 12_572, "orders": 2},
        {"product_id": "P3", "name": "Product P3", "qty": 1, "sales_fen": 1_428, "orders": 1},
    ]
    assert sum(p["sales_fen"] for p in report["top_products"]) == report["kpis"]["gmv_fen"]

    top = await client.get("/merchant/metrics/top-products", params={"from": "2025-03-01", "to": "2025-03-08",
                                                                      "limit": "1"}, headers={"X-Merchant-Id": M1})
    assert [p["product_id"] for p in (await top.json())["top_products"]] == ["P2"]
    other = await (await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-08"},
                                    headers={"X-Merchant-Id": M2})).json()
    assert (other["kpis"]["gmv_fen"], other["kpis"]["orders"]) == (50_000, 1)


async def test_a_coupon_given_back_by_a_refunded_order_leaves_the_marketing_figures(
        settings_for, start_app, database_url, amqp_url, bus_prefix):
    """o1 keeps its coupon; o2 and o3 are wholly refunded and their coupons go back to the buyers (o3's
    coupon.released overtakes its coupon.redeemed): only o1's coupon counts as redeemed and as cost."""
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    bus = await open_bus(amqp_url, bus_prefix)
    events = []
    for n, (order_id, coupon_id) in enumerate([("o1", "c1"), ("o2", "c2"), ("o3", "c3")], start=1):
        user = f"u{n}"
        events += [
            envelope(claimed(coupon_id, user, M1), at(D[1], 8)),
            envelope(placed(order_id, user, M1, "search", [line("P1", 1, 10_000)], coupon_id=coupon_id),
                     at(D[1], 9)),
            envelope(confirmed(order_id, user, M1, "search", 10_000, discount_fen=1_000, points_fen=200),
                     at(D[1], 9)),
            envelope(paid(f"pay{n}", order_id, user, M1, "alipay", 8_800), at(D[1], 10))]
    events += [envelope(redeemed("c1", "o1", "u1", M1, 1_000), at(D[1], 10)),
               envelope(redeemed("c2", "o2", "u2", M1, 1_000), at(D[1], 10))]
    later = [envelope(refunded("r2", "pay2", "o2", "u2", M1, 8_800), at(D[2])),
             envelope(coupon_back("c2", "o2", "u2"), at(D[2])),
             envelope(refunded("r3", "pay3", "o3", "u3", M1, 8_800), at(D[2])),
             envelope(coupon_back("c3", "o3", "u3"), at(D[2]))]
    latest = [envelope(redeemed("c3", "o3", "u3", M1, 1_000), at(D[1], 10))]
    try:
        await publish_all(bus, events)
        await wait_handled(database_url, len(events))
        await publish_all(bus, later)
        await wait_handled(database_url, len(events) + len(later))
        await publish_all(bus, latest)
        await wait_handled(database_url, len(events) + len(later) + len(latest))
        report = await (await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-02"},
                                         headers={"X-Merchant-Id": M1})).json()
    finally:
        await bus.close()
    kpis = report["kpis"]
    assert (kpis["coupons_claimed"], kpis["coupons_redeemed"], kpis["coupon_redemption_rate"]) == (3, 1, 0.3333)
    assert (kpis["discount_fen"], kpis["points_fen"], kpis["marketing_cost_fen"]) == (1_000, 600, 1_600)


async def test_an_order_paid_before_the_range_is_not_counted_again_by_a_later_payment(
        settings_for, start_app, database_url, amqp_url, bus_prefix):
    """The metrics ask "first payment?" only of the payments in range (bench/orders_scale.py): a second payment
    of an order first paid before the range adds money, never an order, a sale's quantity or a member order."""
    client = await start_app(create_app(settings_for(AnalyticsSettings)))
    bus = await open_bus(amqp_url, bus_prefix)
    m3 = "m-3"
    try:
        events = [
            envelope(placed("o8", "u1", m3, "search", [line("P8", 2, 4_000)]), at(FEB28)),
            envelope(paid("pay8", "o8", "u1", m3, "alipay", 8_000), at(FEB28, 12)),
            envelope(paid("pay8b", "o8", "u1", m3, "balance", 1_000), at(D[2], 12)),
            envelope(placed("o9", "u2", m3, "scan", [line("P8", 1, 4_000)]), at(D[2])),
            envelope(paid("pay9", "o9", "u2", m3, "alipay", 4_000), at(D[2], 13)),
        ]
        await publish_all(bus, events)
        await wait_handled(database_url, len(events))
        report = await (await client.get("/merchant/metrics", params={"from": "2025-03-01", "to": "2025-03-08"},
                                          headers={"X-Merchant-Id": m3})).json()
    finally:
        await bus.close()
    assert (report["kpis"]["orders"], report["kpis"]["paid_fen"]) == (1, 5_000)
    assert report["top_products"] == [
        {"product_id": "P8", "name": "Product P8", "qty": 1, "sales_fen": 5_000, "orders": 1}]
    assert report["member_prices"]["orders"] == 1
