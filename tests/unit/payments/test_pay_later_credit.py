"""Pay-later credit rules: limits per Sesame tier, used/available, refunds and repayment of bills, and the
property that no sequence of pay-later, repayment and refund leaves used credit above the limit or negative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.payments.domain import Refusal
from services.payments.domain.credit import (
    Bill,
    CreditLine,
    after_refund,
    after_repayment,
    check_pay_later,
    limit_for,
    shown_status,
    used_fen,
)

LIMITS = {"poor": 0, "fair": 50_000, "good": 100_000, "very_good": 200_000, "excellent": 500_000}


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(Refusal) as info:
        call(*args, **kwargs)
    return info.value.code


def test_limit_per_tier_at_the_boundaries():
    scores = (None, 350, 549, 550, 599, 600, 649, 650, 699, 700, 950)
    assert [limit_for(s, LIMITS) for s in scores] == [0, 0, 0, 50_000, 50_000, 100_000, 100_000, 200_000,
                                                      200_000, 500_000, 500_000]
    assert limit_for(720, {"fair": 1}) == 0  # a tier not configured gets no credit


def test_pay_later_refusals():
    assert code_of(check_pay_later, CreditLine(0, 0), 1, overdue=False) == "credit_limit_exceeded"
    assert code_of(check_pay_later, CreditLine(10_000, 4_000), 6_001, overdue=False) == "credit_limit_exceeded"
    check_pay_later(CreditLine(10_000, 4_000), 6_000, overdue=False)
    assert code_of(check_pay_later, CreditLine(10_000, 0), 1, overdue=True) == "bill_overdue"
    assert CreditLine(10_000, 12_000).view() == {"limit_fen": 10_000, "used_fen": 12_000, "available_fen": 0}


def test_refund_shrinks_then_cancels_an_unpaid_bill_and_keeps_a_paid_one_paid():
    bill = after_refund(Bill(10_000), 4_000)
    assert (bill.due_fen, bill.status) == (6_000, "open")
    assert after_refund(bill, 6_000).status == "cancelled"
    assert code_of(after_refund, bill, 6_001) == "refund_exceeds_paid"
    paid = after_repayment(bill, 6_000)
    assert (paid.status, paid.due_fen) == ("paid", 0)
    assert after_refund(paid, 1_000) == Bill(10_000, 5_000, "paid")
    assert code_of(after_repayment, bill, 10_000) == "bill_not_payable"  # the old amount no longer settles it
    assert code_of(after_repayment, paid, 0) == "bill_not_payable"


def test_shown_status_is_overdue_once_past_due():
    due = datetime(2026, 1, 31, tzinfo=UTC)
    assert shown_status("open", due, due - timedelta(seconds=1)) == "open"
    assert shown_status("open", due, due) == "overdue"
    assert shown_status("paid", due, due + timedelta(days=9)) == "paid"


operation = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 300_000)),
    st.tuples(st.just("repay"), st.integers(0, 50)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(-10, 300_000)),
)


@settings(max_examples=300)
@given(limit=st.sampled_from(sorted(LIMITS.values())), ops=st.lists(operation, max_size=60))
def test_no_sequence_leaves_used_credit_above_the_limit_or_negative(limit, ops):
    bills: list[Bill] = []
    for op in ops:
        try:
            if op[0] == "buy":
                check_pay_later(CreditLine(limit, used_fen(bills)), op[1], overdue=False)
                bills.append(Bill(op[1]))
            elif bills and op[0] == "repay":
                i = op[1] % len(bills)
                bills[i] = after_repayment(bills[i], bills[i].due_fen)
            elif bills:
                i = op[1] % len(bills)
                bills[i] = after_refund(bills[i], op[2])
        except Refusal:
            pass  # a refused step changes nothing
        assert 0 <= used_fen(bills) <= limit
        assert all(0 <= b.refunded_fen <= b.amount_fen and b.due_fen >= 0 for b in bills)
