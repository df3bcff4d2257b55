"""Discount rules as properties: thresholds, percent with a cap, never more than the order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.marketing.domain.coupons import Cart, CartLine, Rejection, Rule, discount_fen
from services.marketing.domain.points import points_to_spend
from shared.money import percent_of

lines = st.lists(st.builds(CartLine, sku_id=st.just("s"), product_id=st.just("p"), qty=st.integers(1, 20),
                           unit_price_fen=st.integers(0, 200_000), category_id=st.sampled_from(["a", "b", None])),
                 min_size=1, max_size=6)


def cart_of(items: list[CartLine], merchant: str = "m1") -> Cart:
    return Cart(merchant_id=merchant, lines=items, subtotal_fen=sum(x.qty * x.unit_price_fen for x in items))


fixed_rules = st.builds(Rule, kind=st.just("fixed"), amount_fen=st.integers(1, 300_000),
                        threshold_fen=st.integers(0, 500_000), category_id=st.sampled_from(["a", None]))
percent_rules = st.builds(Rule, kind=st.just("percent"), percent_off_bp=st.integers(1, 9_999),
                          cap_fen=st.integers(1, 1_500_000), threshold_fen=st.integers(0, 500_000),
                          category_id=st.sampled_from(["a", None]))


def eligible(rule: Rule, cart: Cart) -> int:
    return sum(x.qty * x.unit_price_fen for x in cart.lines if rule.category_id in (None, x.category_id))


@given(rule=st.one_of(fixed_rules, percent_rules), items=lines)
def test_a_discount_never_exceeds_the_order_or_what_the_coupon_covers(rule: Rule, items: list[CartLine]) -> None:
    cart = cart_of(items)
    try:
        off = discount_fen(rule, cart)
    except Rejection as refusal:
        assert refusal.code in ("below_threshold", "coupon_not_applicable")
        return
    assert 0 <= off <= eligible(rule, cart)
    assert off <= cart.subtotal_fen - 1  # Alipay cannot charge 0
    assert off <= rule.face_value_fen   # never more than the budget reserved for it


@given(rule=fixed_rules, items=lines)
def test_a_fixed_coupon_applies_exactly_from_its_threshold(rule: Rule, items: list[CartLine]) -> None:
    cart = cart_of(items)
    base = eligible(rule, cart)
    if base <= 0 or base < rule.threshold_fen:
        with pytest.raises(Rejection):
            discount_fen(rule, cart)
    else:
        assert rule.amount_fen is not None
        assert discount_fen(rule, cart) == max(0, min(rule.amount_fen, base, cart.subtotal_fen - 1))


@given(rule=percent_rules, items=lines)
def test_a_percent_coupon_takes_its_share_up_to_the_cap(rule: Rule, items: list[CartLine]) -> None:
    cart = cart_of(items)
    base = eligible(rule, cart)
    if base <= 0 or base < rule.threshold_fen:
        return
    assert rule.percent_off_bp is not None and rule.cap_fen is not None
    off = discount_fen(rule, cart)
    assert off <= rule.cap_fen
    assert off == max(0, min(percent_of(base, rule.percent_off_bp), rule.cap_fen, cart.subtotal_fen - 1))


def test_examples_from_the_shop() -> None:
    cart = cart_of([CartLine("s", "p", 3, 5_000, "a")])  # ¥150
    assert discount_fen(Rule("fixed", amount_fen=2_000, threshold_fen=10_000), cart) == 2_000  # ¥20 off ¥100
    with pytest.raises(Rejection) as refused:
        discount_fen(Rule("fixed", amount_fen=2_000, threshold_fen=20_000), cart)
    assert refused.value.code == "below_threshold"
    assert discount_fen(Rule("percent", percent_off_bp=1_500, cap_fen=1_000), cart) == 1_000  # 15% capped at ¥10
    assert discount_fen(Rule("percent", percent_off_bp=1_500, cap_fen=9_000), cart) == 2_250
    assert discount_fen(Rule("fixed", amount_fen=50_000), cart) == 14_999  # no threshold: leaves 1 fen
    for elsewhere in (Rule("fixed", amount_fen=100, merchant_id="m2"), Rule("fixed", amount_fen=100, category_id="b")):
        with pytest.raises(Rejection) as refused:
            discount_fen(elsewhere, cart)
        assert refused.value.code == "coupon_not_applicable"


@given(subtotal=st.integers(1, 10_000_000), discount=st.integers(0, 10_000_000), requested=st.integers(0, 10**7),
       available=st.integers(0, 10**7))
def test_discount_plus_points_leave_at_least_one_fen(subtotal: int, discount: int, requested: int,
                                                     available: int) -> None:
    discount = min(discount, subtotal - 1)
    try:
        spent = points_to_spend(requested, available, subtotal - discount)
    except Rejection as refusal:
        assert refusal.code == "points_insufficient"
        assert requested > available or available < 10
        return
    assert 0 <= spent <= requested
    assert spent <= available
    assert discount + spent <= subtotal - 1


def test_points_are_usable_from_a_balance_of_ten() -> None:
    with pytest.raises(Rejection):
        points_to_spend(5, 9, 10_000)
    assert points_to_spend(5, 10, 10_000) == 5
    assert points_to_spend(0, 0, 10_000) == 0
