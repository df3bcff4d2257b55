"""What partial refunds are worth: coupon and points shared out by value, units of a line, freight with the
last units of an order never shipped; any sequence of refunds stays within what was paid and ends at it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain import (
    Held,
    LineShare,
    Refusal,
    largest_remainder,
    line_shares,
    refund_amounts,
    refund_move,
)
from services.payments.domain import check_refund as check_payment_refund
from shared.money import payable


def test_largest_remainder_gives_the_spare_fen_to_the_largest_remainders_then_the_earlier_line():
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert largest_remainder(10, [3000, 1000]) == [8, 2]  # 7.5 / 2.5: a tie, to the earlier line
    assert largest_remainder(7, [500, 300, 200]) == [4, 2, 1]  # 3.5, 2.1, 1.4
    assert largest_remainder(0, [5, 5]) == [0, 0]


def test_a_line_costs_its_value_less_its_share_of_the_points_and_the_coupon():
    # ¥30 + ¥10 of goods, a ¥8 coupon and 400 points (¥4): the ¥40 line pays 3/4 of each
    shares = line_shares([(1, 3, 3000), (2, 1, 1000)], discount_fen=800, points_fen=400)
    assert shares == [LineShare(1, 3, 3000 - 300 - 600, 300), LineShare(2, 1, 1000 - 100 - 200, 100)]
    assert sum(s.cash_fen for s in shares) == 4000 - 800 - 400


def test_units_of_a_line_add_up_to_the_line_and_the_last_unit_takes_the_rest():
    shares = [LineShare(1, 3, 1000, 100)]
    held: dict[int, Held] = {}
    got = []
    for _ in range(3):
        amounts = refund_amounts(shares, held, {1: 1}, freight_left_fen=0, shipped=True)
        [part] = amounts.parts
        got.append((part.cash_fen, part.points_fen))
        before = held.get(1, Held())
        held[1] = Held(before.qty + 1, before.cash_fen + part.cash_fen, before.points_fen + part.points_fen)
    assert got == [(333, 33), (333, 33), (334, 34)]


def test_freight_goes_back_only_with_the_last_units_of_an_order_never_shipped():
    shares = [LineShare(1, 2, 2000, 0), LineShare(2, 1, 500, 0)]
    first = refund_amounts(shares, {}, {1: 2}, freight_left_fen=800, shipped=False)
    assert (first.cash_fen, first.freight_fen, first.closes_order) == (2000, 0, False)
    last = refund_amounts(shares, {1: Held(2, 2000)}, None, freight_left_fen=800, shipped=False)
    assert (last.cash_fen, last.freight_fen, last.closes_order) == (1300, 800, True)
    shipped = refund_amounts(shares, {}, None, freight_left_fen=800, shipped=True)
    assert (shipped.cash_fen, shipped.freight_fen, shipped.closes_order) == (2500, 0, True)


@pytest.mark.parametrize(("held", "asked", "code"), [
    ({}, {1: 3}, "refund_exceeds_units"),           # more than bought
    ({1: Held(2, 1)}, {1: 1}, "refund_exceeds_units"),  # more than is left after earlier refunds
    ({}, {9: 1}, "line_not_in_order"),
    ({1: Held(2, 1)}, None, "nothing_to_refund"),
])
def test_refunds_beyond_the_units_are_refused(held, asked, code):
    with pytest.raises(Refusal) as refused:
        refund_amounts([LineShare(1, 2, 100, 0)], held, asked, freight_left_fen=0, shipped=False)
    assert refused.value.code == code


def test_a_refund_moves_through_its_waiting_states():
    assert refund_move("requested", "approve", with_return=True) == "awaiting_return"
    assert refund_move("requested", "timeout", with_return=False) == "approved"
    assert refund_move("awaiting_return", "ship_return", with_return=True) == "returning"
    assert refund_move("awaiting_return", "timeout", with_return=True) == "closed"
    assert refund_move("returning", "receive_return", with_return=True) == "approved"
    assert refund_move("returning", "timeout", with_return=True) == "approved"
    for status, action in (("approved", "reject"), ("requested", "ship_return"), ("refunded", "fail"),
                           ("returning", "reject"), ("closed", "approve")):
        with pytest.raises(Refusal) as refused:
            refund_move(status, action, with_return=True)  # type: ignore[arg-type]
        assert refused.value.code == "invalid_refund_transition"


# --- the property: any order, any sequence of partial refunds -----------------------------------------

lines_strategy = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 50_000)), min_size=1, max_size=5)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[tuple[int, int, int]], int, int, int]:
    """(lines, discount, points, freight) as confirmation leaves them: coupon and points cut to leave 1 fen."""
    lines = [(no, qty, qty * price) for no, (qty, price) in enumerate(draw(lines_strategy), start=1)]
    subtotal = sum(value for _, _, value in lines)
    amounts = payable(subtotal, draw(st.integers(0, subtotal)), draw(st.integers(0, subtotal)))
    return lines, amounts.discount_fen, amounts.points_fen, draw(st.integers(0, 2000))


# one step: ask some units of a line (or all that is left), or end (reject/fail) one of the live refunds
steps = st.lists(st.tuples(st.sampled_from(["ask", "ask", "ask", "all", "end"]), st.integers(0, 10),
                           st.integers(1, 5)), max_size=25)


def test_the_freight_goes_back_once_even_when_the_last_units_are_refunded_again():
    """A refund of the last units (with the freight) is done, another one ended: its units, refunded again,
    take the last units once more, but not the freight."""
    shares = [LineShare(1, 1, 100, 0), LineShare(2, 1, 100, 0)]
    done = refund_amounts(shares, {2: Held(1, 100)}, {1: 1}, freight_left_fen=800, shipped=False)
    assert done.freight_fen == 800
    again = refund_amounts(shares, {1: Held(1, 100)}, {2: 1}, freight_left_fen=800 - done.freight_fen,
                           shipped=False)
    assert (again.cash_fen, again.freight_fen, again.closes_order) == (100, 0, True)


@settings(max_examples=400, deadline=None)
@given(order=orders(), plan=steps, shipped=st.booleans())
def test_refunds_never_exceed_what_was_paid_and_end_at_it(order, plan, shipped):
    lines, discount, points, freight = order
    shares = line_shares(lines, discount, points)
    paid_cash = sum(v for _, _, v in lines) - discount - points + freight
    # (units, cash, points, parts by line, freight) of each live refund
    live: list[tuple[dict[int, int], int, int, dict[int, tuple[int, int]], int]] = []

    def held() -> dict[int, Held]:
        found: dict[int, Held] = {}
        for units, _, _, parts, _ in live:
            for no, qty in units.items():
                h, (c, p) = found.get(no, Held()), parts[no]
                found[no] = Held(h.qty + qty, h.cash_fen + c, h.points_fen + p)
        return found

    def ask(asked: dict[int, int] | None) -> None:
        try:
            amounts = refund_amounts(shares, held(), asked, freight - sum(f for *_, f in live), shipped)
        except Refusal:
            return
        live.append(({p.line_no: p.qty for p in amounts.parts}, amounts.cash_fen, amounts.points_fen,
                     {p.line_no: (p.cash_fen, p.points_fen) for p in amounts.parts}, amounts.freight_fen))

    for kind, which, qty in plan:
        if kind == "ask":
            ask({lines[which % len(lines)][0]: qty})
        elif kind == "all":
            ask(None)
        elif live:
            live.pop(which % len(live))  # rejected, closed or failed: its units and money are free again
        now = held()
        for share in shares:  # per line: never more than the line's money and points
            h = now.get(share.line_no, Held())
            assert h.qty <= share.qty and h.cash_fen <= share.cash_fen and h.points_fen <= share.points_fen
        assert sum(c for _, c, *_ in live) <= paid_cash  # per order
        assert sum(p for _, _, p, *_ in live) <= points

    ask(None)  # whatever is left
    cash_back, points_back = sum(c for _, c, *_ in live), sum(p for _, _, p, *_ in live)
    assert points_back == points
    # everything refunded: all that was paid comes back, the freight only if nothing was shipped
    assert cash_back == paid_cash - (freight if shipped else 0)
    # The legs: money goes back through the payment, which accepts every refund in turn (payments' own
    # check), and points as points; a 0-fen refund moves no money (orders settles it itself).
    refunded = 0
    for _, cash, *_ in live:
        if cash > 0:
            check_payment_refund(cash, paid_cash, refunded)
            refunded += cash
    assert refunded == cash_back <= paid_cash
