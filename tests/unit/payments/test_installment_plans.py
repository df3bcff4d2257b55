"""Huabei instalment plans: exact in fen, remainder first, merchant-paid costs the buyer nothing, and only the
plans the merchant offers at the amount."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.payments.domain import (
    TERMS,
    HuabeiOffer,
    Rules,
    default_offers,
    huabei_fee,
    installment_plan,
    lowest_offered_fen,
    offered_plans,
    split_evenly,
)

RATES = {3: 230, 6: 450, 12: 750}
amounts = st.integers(min_value=1, max_value=10_000_000_000)
terms = st.sampled_from(TERMS)
rates = st.integers(min_value=0, max_value=5_000)


@given(amounts, terms, rates)
def test_periods_sum_to_principal_plus_fee(principal, n, rate):
    plan = installment_plan(principal, n, "buyer", rate)
    assert len(plan.per_period_fen) == n
    assert sum(plan.per_period_fen) == principal + plan.fee_fen
    assert plan.fee_fen == huabei_fee(principal, rate) and plan.merchant_fee_fen == 0


@given(amounts, terms, rates)
def test_remainder_goes_on_the_first_period(principal, n, rate):
    periods = installment_plan(principal, n, "buyer", rate).per_period_fen
    assert all(p == periods[1] for p in periods[1:])
    assert 0 <= periods[0] - periods[1] < 2 * n  # principal remainder + fee remainder, each < n


@given(amounts, terms, rates)
def test_merchant_paid_leaves_the_buyer_no_fee(principal, n, rate):
    plan = installment_plan(principal, n, "merchant", rate)
    assert plan.fee_fen == 0
    assert sum(plan.per_period_fen) == principal
    assert plan.merchant_fee_fen == huabei_fee(principal, rate)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=24))
def test_split_is_exact_and_even(total, n):
    parts = split_evenly(total, n)
    assert sum(parts) == total and max(parts[1:] or [0]) <= parts[0]


def test_worked_example_from_the_notes():
    # ¥1000 over 3 periods at 2.3%: fee ¥23; ¥341.02 then ¥340.99 twice (notes §4)
    plan = installment_plan(100_000, 3, "buyer", 230)
    assert (plan.fee_fen, plan.per_period_fen) == (2_300, [34_102, 34_099, 34_099])


def test_fee_rounds_half_to_even():
    assert huabei_fee(50, 100) == 0  # 0.5 fen -> 0
    assert huabei_fee(150, 100) == 2  # 1.5 fen -> 2
    assert huabei_fee(151, 100) == 2


RULES = Rules(huabei_rates_bp=RATES, huabei_min_fen=10_000, pay_later_min_score=650, deposit_waiver_min_score=650)


def test_remainders_of_principal_and_fee_go_on_the_first_period():
    # ¥1000.01 over 3 at 2.3%: fee 2300.023 -> 2300 fen; principal 33335 + 33333 + 33333, fee 768 + 766 + 766
    plan = installment_plan(100_001, 3, "buyer", 230)
    assert (plan.fee_fen, plan.per_period_fen) == (2_300, [34_103, 34_099, 34_099])
    free = installment_plan(100_001, 3, "merchant", 230)
    assert (free.fee_fen, free.merchant_fee_fen, free.per_period_fen) == (0, 2_300, [33_335, 33_333, 33_333])


def test_the_default_offer_is_every_term_buyer_paid_from_the_mall_minimum():
    assert offered_plans(9_999, default_offers(RULES), RULES) == []
    plans = offered_plans(10_000, default_offers(RULES), RULES)
    assert [(p.installments, p.fee_payer, p.fee_fen) for p in plans] == [
        (3, "buyer", 230), (6, "buyer", 450), (12, "buyer", 750)]
    assert lowest_offered_fen(default_offers(RULES), RULES) == 10_000


def test_plans_follow_the_merchants_offers_and_the_amount():
    # "interest-free 3 instalments from ¥100; 6 from ¥300 with the buyer paying"; no 12
    offers = [HuabeiOffer(6, "buyer", 30_000), HuabeiOffer(3, "merchant", 10_000)]
    assert offered_plans(9_999, offers, RULES) == []
    [three] = offered_plans(29_999, offers, RULES)
    assert (three.installments, three.fee_payer, three.fee_fen, sum(three.per_period_fen)) == (3, "merchant", 0,
                                                                                                  29_999)
    plans = offered_plans(30_000, offers, RULES)
    assert [(p.installments, p.fee_payer, p.fee_fen) for p in plans] == [(3, "merchant", 0), (6, "buyer", 1_350)]
    assert lowest_offered_fen(offers, RULES) == 10_000 and lowest_offered_fen([], RULES) is None


def test_the_mall_minimum_is_a_floor_under_a_merchants_offer():
    offers = [HuabeiOffer(3, "buyer", 0)]
    assert offered_plans(9_999, offers, RULES) == [] and lowest_offered_fen(offers, RULES) == 10_000
    assert len(offered_plans(10_000, offers, RULES)) == 1


def test_a_term_the_mall_does_not_configure_is_never_offered():
    rules = Rules(huabei_rates_bp={3: 230}, huabei_min_fen=10_000, pay_later_min_score=650,
                  deposit_waiver_min_score=650)
    assert [p.installments for p in offered_plans(50_000, [HuabeiOffer(12, "buyer", 0), HuabeiOffer(3, "buyer", 0)],
                                                  rules)] == [3]
    assert [o.installments for o in default_offers(rules)] == [3]
