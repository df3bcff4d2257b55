"""Which method a buyer may use, deposits, top-up bonuses and refund limits."""

from __future__ import annotations

import pytest

from services.payments.domain import (
    HuabeiOffer,
    Refusal,
    Rules,
    check_refund,
    decide_payment,
    default_offers,
    movement,
    out_trade_no,
    sesame_tier,
    top_up_bonus,
    trade_subject,
)

RULES = Rules(huabei_rates_bp={3: 230, 6: 450, 12: 750}, huabei_min_fen=10_000, pay_later_min_score=650,
              deposit_waiver_min_score=650, top_up_bonus=[(10_000, 1_000), (50_000, 8_000)])


def refused(code, *args, **kwargs):
    with pytest.raises(Refusal) as info:
        decide_payment(*args, **kwargs)
    assert info.value.code == code


def test_pay_later_needs_the_score():
    refused("credit_too_low", "pay_later", 5_000, 0, 649, RULES)
    refused("credit_too_low", "pay_later", 5_000, 0, None, RULES)
    assert decide_payment("pay_later", 5_000, 0, 650, RULES).payable_fen == 5_000


def test_huabei_minimum_and_terms():
    offers = default_offers(RULES)
    refused("huabei_minimum", "huabei", 9_999, 0, 700, RULES, installments=3, offers=offers)
    refused("installments_unavailable", "huabei", 20_000, 0, 700, RULES, installments=4, offers=offers)
    decision = decide_payment("huabei", 20_000, 0, 700, RULES, installments=6, offers=offers)
    assert decision.plan is not None and decision.plan.fee_payer == "buyer" and decision.plan.fee_fen == 900


def test_huabei_fee_payer_and_counts_are_the_merchants():
    offers = [HuabeiOffer(3, "merchant", 10_000), HuabeiOffer(6, "buyer", 50_000)]
    three = decide_payment("huabei", 20_000, 0, 700, RULES, installments=3, offers=offers)
    assert three.plan is not None and (three.plan.fee_payer, three.plan.fee_fen, three.plan.merchant_fee_fen) == (
        "merchant", 0, 460)
    refused("installments_not_offered", "huabei", 20_000, 0, 700, RULES, installments=6, offers=offers)  # < ¥500
    refused("installments_not_offered", "huabei", 60_000, 0, 700, RULES, installments=12, offers=offers)
    refused("installments_not_offered", "huabei", 60_000, 0, 700, RULES, installments=3, offers=[])
    six = decide_payment("huabei", 50_000, 0, 700, RULES, installments=6, offers=offers)
    assert six.plan is not None and (six.plan.fee_payer, six.plan.fee_fen) == ("buyer", 2_250)
    # the amount that must reach the offer's minimum is the charge: price + a held deposit
    held = decide_payment("huabei", 40_000, 10_000, 600, RULES, installments=6, offers=offers)
    assert held.charge_fen == 50_000 and held.plan is not None and held.plan.installments == 6


def test_deposit_waived_by_a_good_score_or_held_with_the_payment():
    waived = decide_payment("alipay", 5_000, 30_000, 700, RULES)
    assert (waived.deposit, waived.charge_fen) == ("waived", 5_000)
    held = decide_payment("alipay", 5_000, 30_000, 600, RULES)
    assert (held.deposit, held.deposit_fen, held.charge_fen) == ("held", 30_000, 35_000)
    refused("deposit_not_waived", "pay_later", 5_000, 30_000, 660, RULES.__class__(
        huabei_rates_bp=RULES.huabei_rates_bp, huabei_min_fen=1, pay_later_min_score=600,
        deposit_waiver_min_score=700))


def test_top_up_bonus_takes_the_best_rule_reached():
    assert [top_up_bonus(a, RULES) for a in (9_999, 10_000, 49_999, 50_000)] == [0, 1_000, 1_000, 8_000]


def test_refunds_never_exceed_what_was_paid():
    check_refund(10_000, 10_000, 0)
    check_refund(1, 10_000, 9_999)
    with pytest.raises(Refusal):
        check_refund(2, 10_000, 9_999)
    with pytest.raises(Refusal):
        check_refund(0, 10_000, 0)


def test_movement_is_two_rows_summing_to_zero():
    rows = movement("user:u1", "sales", 300)
    assert rows == [("user:u1", -300), ("sales", 300)] and sum(a for _, a in rows) == 0


def test_alipay_identifiers_and_subjects():
    assert out_trade_no("p", "0a1b-2c3d") == "p_0a1b2c3d"
    assert trade_subject("a/b=c&d") == "a b c d"
    assert [sesame_tier(s) for s in (350, 549, 550, 600, 650, 700, 950)] == [
        "poor", "poor", "fair", "good", "very_good", "excellent", "excellent"]
