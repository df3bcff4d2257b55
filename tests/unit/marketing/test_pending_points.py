"""Points earned on an order are pending until released: no sequence of pay, spend, refund and release leaves
a buyer holding (spendable or spent) points for money they got back."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from services.marketing.domain import points as rules
from services.marketing.domain.coupons import Rejection


@dataclass
class Order:
    paid_fen: int
    points: rules.OrderPoints
    refunded_fen: int = 0


@dataclass
class Buyer:
    acct: rules.Account = field(default_factory=rules.Account)
    orders: list[Order] = field(default_factory=list)
    spent: int = 0

    def legit(self) -> int:
        """Points of released orders for the money the buyer kept."""
        return sum(o.points.earned - o.points.clawed for o in self.orders if o.points.state == "released")


def pay(buyer: Buyer, paid_fen: int) -> None:
    buyer.orders.append(Order(paid_fen, rules.OrderPoints(earned=rules.points_earned(paid_fen, 1))))


def spend(buyer: Buyer, asked: int) -> None:
    try:
        n = rules.points_to_spend(asked, buyer.acct.spendable, room_fen=10**9)
    except Rejection:
        return
    buyer.acct = rules.Account(buyer.acct.balance - n, buyer.acct.locked, buyer.acct.debt)
    buyer.spent += n


def refund(buyer: Buyer, index: int, share: float) -> None:
    order = buyer.orders[index % len(buyer.orders)]
    total = min(order.paid_fen, order.refunded_fen + max(1, int(order.paid_fen * share)))
    before = buyer.acct
    buyer.acct, after, back = rules.refund(before, order.points, paid_fen=order.paid_fen,
                                           total_refunded_fen=total, full=total >= order.paid_fen)
    if order.points.state == "pending":
        assert back.taken == back.shortfall == 0 and buyer.acct == before  # cancelled, nothing to claw back
    order.points, order.refunded_fen = after, total


def release(buyer: Buyer, index: int) -> None:
    order = buyer.orders[index % len(buyer.orders)]
    debt_before = buyer.acct.debt
    buyer.acct, order.points, done = rules.release(buyer.acct, order.points)
    assert buyer.acct.debt == max(0, debt_before - done.points)  # earnings pay the debt off first


step = st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 1_000_000)),
    st.tuples(st.just("spend"), st.integers(1, 20_000)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.sampled_from([0.1, 0.5, 1.0])),
    st.tuples(st.just("release"), st.integers(0, 50)),
)


@given(st.lists(step, max_size=40))
def test_no_sequence_leaves_points_for_money_given_back(steps: list[tuple]) -> None:
    buyer = Buyer()
    for name, *args in steps:
        if name == "pay":
            pay(buyer, args[0])
        elif name == "spend":
            spend(buyer, args[0])
        elif buyer.orders and name == "refund":
            refund(buyer, args[0], args[1])
        elif buyer.orders and name == "release":
            release(buyer, args[0])
        acct = buyer.acct
        assert acct.balance >= 0 and acct.debt >= 0 and 0 <= acct.locked <= acct.balance
        # What the buyer holds or spent, less what they owe, is exactly the points of money they kept.
        assert acct.balance + buyer.spent - acct.debt == buyer.legit()
        for order in buyer.orders:
            kept = order.paid_fen - order.refunded_fen
            assert order.points.remaining <= order.points.earned * kept // order.paid_fen  # rounded for the mall
            if order.refunded_fen and kept == 0:  # fully refunded: none of its points pending or spendable any more
                assert order.points.remaining == 0 and order.points.state in ("cancelled", "released")


@given(st.integers(1_000, 10_000_000), st.integers(1, 10_000))
def test_points_of_an_unreleased_order_cannot_be_spent_and_a_refund_cancels_them(paid_fen: int,
                                                                                asked: int) -> None:
    buyer = Buyer()
    pay(buyer, paid_fen)  # order A: earned, pending
    spend(buyer, asked)   # on order B, before A's window closed: refused
    assert buyer.spent == 0 and buyer.acct.spendable == 0
    refund(buyer, 0, 1.0)
    assert buyer.orders[0].points.state == "cancelled" and buyer.acct == rules.Account()
    release(buyer, 0)     # the release job finds nothing left to release
    assert buyer.acct == rules.Account()


def test_a_late_refund_becomes_debt_that_the_next_earnings_pay_first() -> None:
    buyer = Buyer()
    pay(buyer, 699_900)
    release(buyer, 0)
    spend(buyer, 6_999)
    refund(buyer, 0, 1.0)  # a merchant refunds after the window: nothing left to claw back
    assert buyer.acct == rules.Account(balance=0, debt=6_999)
    pay(buyer, 500_000)
    release(buyer, 1)
    assert buyer.acct == rules.Account(balance=0, debt=1_999)
    pay(buyer, 300_000)
    release(buyer, 2)
    assert buyer.acct == rules.Account(balance=1_001, debt=0)


def test_repay_from_balance_never_takes_held_points() -> None:
    assert rules.repay_from_balance(rules.Account(balance=50, locked=30, debt=100)) == 20
    assert rules.repay_from_balance(rules.Account(balance=50, locked=0, debt=10)) == 10
