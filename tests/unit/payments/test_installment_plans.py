"""Huabei instalment plans: exact in fen, remainder first, merchant-paid costs the buyer nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.payments.domain import TERMS, Rules, available_plans, huabei_fee, installment_plan, split_evenly

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


def test_no_plans_below_the_minimum():
    rules = Rules(huabei_rates_bp=RATES, huabei_min_fen=10_000, pay_later_min_score=650,
                  deposit_waiver_min_score=650)
    assert available_plans(9_999, rules) == []
    plans = available_plans(10_000, rules)
    assert [(p.installments, p.fee_payer) for p in plans] == [
        (3, "buyer"), (3, "merchant"), (6, "buyer"), (6, "merchant"), (12, "buyer"), (12, "merchant")]
