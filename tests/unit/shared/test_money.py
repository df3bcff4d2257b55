from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import MoneyError, fen_to_yuan, payable, percent_of, yuan_to_fen


@given(st.integers(min_value=0, max_value=10**13))
def test_fen_to_yuan_and_back_is_exact(fen):
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_yuan_string_has_two_decimals_and_equals_the_decimal_value(fen):
    text = fen_to_yuan(fen)
    assert len(text.split(".")[1]) == 2
    assert Decimal(text) * 100 == fen


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_two_decimal_yuan_amount_converts_exactly(amount):
    assert yuan_to_fen(f"{amount:.2f}") == int(amount * 100)


@pytest.mark.parametrize("bad", ["1.234", "-1.00", "1e3", " 1.00", "01.00", "1.", "", "NaN", "１.00", "0.1.1"])
def test_inexact_or_malformed_yuan_is_refused(bad):
    with pytest.raises(MoneyError):
        yuan_to_fen(bad)


@pytest.mark.parametrize("bad", [1.5, True, "100"])
def test_fen_must_be_an_integer(bad):
    with pytest.raises(MoneyError):
        fen_to_yuan(bad)


def test_examples():
    assert fen_to_yuan(1) == "0.01"
    assert fen_to_yuan(12345) == "123.45"
    assert yuan_to_fen("0.1") == 10
    assert percent_of(10_000, 230) == 230
    assert percent_of(333, 5_000) == 167  # half up


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_percent_of_is_within_half_a_fen(fen, bp):
    assert abs(Decimal(percent_of(fen, bp)) - Decimal(fen) * bp / 10_000) <= Decimal("0.5")


def test_payable_is_subtotal_less_discount_and_points():
    amounts = payable(10_000, 1_500, 500)
    assert (amounts.discount_fen, amounts.points_fen, amounts.payable_fen) == (1500, 500, 8000)


def test_payable_never_falls_below_one_fen_coupon_cut_first():
    amounts = payable(1000, 1200, 300)
    assert (amounts.discount_fen, amounts.points_fen, amounts.payable_fen) == (999, 0, 1)
    amounts = payable(1000, 600, 600)
    assert (amounts.discount_fen, amounts.points_fen, amounts.payable_fen) == (600, 399, 1)
    assert payable(1, 0, 0).payable_fen == 1


def test_freight_is_added_after_the_goods_less_what_a_free_shipping_coupon_waives():
    assert payable(1000, 1200, 0, freight_fen=800).payable_fen == 1 + 800  # the coupon does not reach freight
    assert payable(1000, 0, 0, freight_fen=1200, freight_off_fen=1000).payable_fen == 1000 + 200
    assert payable(1000, 0, 0, freight_fen=500, freight_off_fen=1000).payable_fen == 1000  # never below free


def test_freight_is_added_after_the_floor():
    # Coupons and points apply to the goods only: a coupon worth more than the goods still leaves the freight.
    amounts = payable(1000, 5000, 300, freight_fen=800)
    assert (amounts.discount_fen, amounts.points_fen, amounts.payable_fen) == (999, 0, 801)
