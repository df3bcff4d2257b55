"""Free-shipping coupons: they waive the freight (up to their cap) and take nothing off the goods; every
other coupon takes off the goods and never the freight."""

from __future__ import annotations

import pytest

from services.marketing.domain.coupons import Cart, CartLine, Off, Rejection, Rule, coupon_off

LINES = [CartLine(sku_id="s", product_id="p", qty=2, unit_price_fen=5_000)]


def cart(freight_fen: int, merchant: str = "m1") -> Cart:
    return Cart(merchant_id=merchant, lines=LINES, subtotal_fen=10_000, freight_fen=freight_fen)


FREE = Rule(kind="free_shipping", cap_fen=1_000, threshold_fen=8_000)


def test_free_shipping_waives_the_freight_up_to_its_cap_and_nothing_of_the_goods() -> None:
    assert coupon_off(FREE, cart(800)) == Off(goods_fen=0, freight_fen=800)
    assert coupon_off(FREE, cart(1_500)) == Off(goods_fen=0, freight_fen=1_000)  # the cap: ¥10 of ¥15
    assert coupon_off(FREE, cart(800)).total_fen == 800


def test_free_shipping_needs_freight_the_threshold_and_the_merchant() -> None:
    for rule, basket, code in [(FREE, cart(0), "coupon_not_applicable"),  # pickup, or free delivery already
                               (Rule(kind="free_shipping", cap_fen=1_000, threshold_fen=20_000), cart(800),
                                "below_threshold"),
                               (Rule(kind="free_shipping", cap_fen=1_000, merchant_id="m2"), cart(800),
                                "coupon_not_applicable")]:
        with pytest.raises(Rejection) as refused:
            coupon_off(rule, basket)
        assert refused.value.code == code


def test_goods_coupons_never_touch_the_freight() -> None:
    assert coupon_off(Rule(kind="fixed", amount_fen=2_000), cart(800)) == Off(goods_fen=2_000, freight_fen=0)
    assert coupon_off(Rule(kind="percent", percent_off_bp=1_000, cap_fen=5_000), cart(800)) == Off(1_000, 0)
