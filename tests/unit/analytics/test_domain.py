"""The pure metric math: ranges, ratios, averages, and the report built from aggregates."""

from __future__ import annotations

from datetime import date

import pytest

from services.analytics.domain import DateRange, RangeError, average_fen, build_report, conversion, ratio


def test_range_may_be_one_day_or_a_leap_year_but_not_backwards_or_longer():
    assert DateRange.checked(date(2024, 1, 1), date(2024, 1, 1)).days() == [date(2024, 1, 1)]
    assert len(DateRange.checked(date(2024, 1, 1), date(2024, 12, 31)).days()) == 366
    with pytest.raises(RangeError) as backwards:
        DateRange.checked(date(2024, 1, 2), date(2024, 1, 1))
    assert backwards.value.field == "to"
    with pytest.raises(RangeError):
        DateRange.checked(date(2024, 1, 1), date(2025, 1, 1))  # 367 days


def test_ratio_of_nothing_is_unknown_not_zero():
    assert ratio(0, 0) is None
    assert ratio(0, 5) == 0.0
    assert ratio(1, 3) == 0.3333
    assert ratio(2, 3) == 0.6667


def test_average_order_value_rounds_half_fen_away_from_zero():
    assert average_fen(10, 4) == 3  # 2.5 -> 3
    assert average_fen(9, 4) == 2  # 2.25 -> 2
    assert average_fen(-10, 4) == -3  # refunds can outweigh a day's sales
    assert average_fen(68_900, 3) == 22_967
    assert average_fen(100, 0) is None


def test_conversion_lists_the_six_entry_points_even_when_silent():
    rows = conversion([{"entry": "scan", "visitors": 4}, {"entry": "home", "visitors": 2}],
                      [{"entry": "scan", "orders": 1}, {"entry": "other", "orders": 1}])
    assert [r["entry"] for r in rows] == ["search", "scan", "favorites", "member_card", "payment_success",
                                          "nearby", "home", "other"]
    assert rows[1] == {"entry": "scan", "visitors": 4, "paid_orders": 1, "rate": 0.25}
    assert rows[-1] == {"entry": "other", "visitors": 0, "paid_orders": 1, "rate": None}


def empty_report(**overrides):
    args = dict(merchant_id="m", span=DateRange.checked(date(2025, 1, 1), date(2025, 1, 3)), paid=[], orders=[],
                refunds=[], cost={"discount_fen": 0, "points_fen": 0}, coupons={"claimed": 0, "redeemed": 0},
                retention=[], visitors=[], entry_orders=[], top_products=[])
    args.update(overrides)
    return build_report(**args)


def test_a_quiet_range_has_zero_sales_and_unknown_ratios():
    report = empty_report()
    assert report["kpis"]["gmv_fen"] == 0 and report["kpis"]["aov_fen"] is None
    assert report["kpis"]["coupon_redemption_rate"] is None and report["kpis"]["marketing_cost_ratio"] is None
    assert [d["day"] for d in report["daily"]] == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert [r["users"] for r in report["retention"]] == [0, 0, 0]
    assert report["aov_by_group"] == [{"group": "huabei", "orders": 0, "gmv_fen": 0, "aov_fen": None},
                                      {"group": "other", "orders": 0, "gmv_fen": 0, "aov_fen": None}]


def test_refunds_come_off_gmv_on_their_own_day_and_method():
    d1, d2 = date(2025, 1, 1), date(2025, 1, 2)
    report = empty_report(
        paid=[{"day": d1, "method": "huabei", "paid_fen": 60_000}, {"day": d1, "method": "alipay", "paid_fen": 10_000}],
        orders=[{"day": d1, "method": "huabei", "orders": 2}, {"day": d1, "method": "alipay", "orders": 1}],
        refunds=[{"day": d2, "method": "alipay", "refunded_fen": 4_000}],
        cost={"discount_fen": 3_000, "points_fen": 300})
    assert report["kpis"]["gmv_fen"] == 66_000 and report["kpis"]["aov_fen"] == 22_000
    assert report["kpis"]["marketing_cost_ratio"] == 0.05  # 3 300 / 66 000
    assert [d["gmv_fen"] for d in report["daily"]] == [70_000, -4_000, 0]
    assert report["aov_by_group"][1] == {"group": "other", "orders": 1, "gmv_fen": 6_000, "aov_fen": 6_000}
    assert {m["method"]: m["share_of_paid"] for m in report["payment_mix"]} == {"alipay": 0.1429, "huabei": 0.8571}
