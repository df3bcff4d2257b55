"""The order state machine and the refund policy, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain import TRANSITIONS, Action, RefundStart, Refusal, Status, refund_start, transition

NOW = datetime(2025, 3, 1, tzinfo=UTC)
WEEK = timedelta(days=7)

HAPPY = [(Status.PENDING, Action.CONFIRM, Status.AWAITING_PAYMENT),
         (Status.AWAITING_PAYMENT, Action.PAY, Status.PAID),
         (Status.PAID, Action.SHIP, Status.SHIPPED),
         (Status.SHIPPED, Action.COMPLETE, Status.COMPLETED),
         (Status.COMPLETED, Action.REQUEST_REFUND, Status.REFUND_REQUESTED),
         (Status.REFUND_REQUESTED, Action.REFUND, Status.REFUNDED)]


@pytest.mark.parametrize(("current", "action", "target"), HAPPY)
def test_an_order_walks_its_life_in_order(current, action, target):
    assert transition(current, action) is target


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", [a for a in Action if a is not Action.END_REFUND])
def test_every_other_move_is_an_invalid_transition(status, action):
    if (status, action) in TRANSITIONS:
        return
    with pytest.raises(Refusal) as refused:
        transition(status, action)
    assert refused.value.code == "invalid_transition" and refused.value.status == 409


def test_cancelled_and_refunded_are_final():
    for final in (Status.CANCELLED, Status.REFUNDED):
        assert not [a for (s, a) in TRANSITIONS if s is final]


def test_only_pending_and_unpaid_orders_can_be_cancelled():
    assert {s for (s, a) in TRANSITIONS if a is Action.CANCEL} == {Status.PENDING, Status.AWAITING_PAYMENT}


def test_an_ended_refund_returns_to_where_the_order_was_but_never_pretends_to_ship():
    assert transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to="SHIPPED") is Status.SHIPPED
    assert transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to="COMPLETED") is Status.COMPLETED
    for bad in ("CANCELLED", "REFUNDED", None):
        with pytest.raises(Refusal):
            transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to=bad)
    with pytest.raises(Refusal):
        transition(Status.REFUND_REQUESTED, Action.SHIP)
    with pytest.raises(Refusal):
        transition(Status.COMPLETED, Action.END_REFUND, back_to="SHIPPED")


def test_refund_before_shipping_is_approved_at_once_afterwards_the_merchant_decides():
    assert refund_start(Status.PAID, None, NOW, WEEK) == RefundStart("approved", shipped=False)
    assert refund_start(Status.SHIPPED, None, NOW, WEEK) == RefundStart("requested", shipped=True)
    assert refund_start(Status.COMPLETED, NOW - WEEK, NOW, WEEK) == RefundStart("requested", shipped=True)
    # the merchant refunding on their own has decided already, even after the buyer's return window
    assert refund_start(Status.COMPLETED, NOW - 2 * WEEK, NOW, WEEK, by_merchant=True).status == "approved"


@pytest.mark.parametrize(("status", "completed_at", "code"), [
    (Status.COMPLETED, NOW - WEEK - timedelta(seconds=1), "return_window_closed"),
    (Status.REFUND_REQUESTED, None, "refund_pending"),
    (Status.AWAITING_PAYMENT, None, "order_not_paid"),
    (Status.PENDING, None, "order_not_paid"),
    (Status.CANCELLED, None, "order_not_paid"),
    (Status.REFUNDED, None, "nothing_to_refund"),
])
def test_refund_refusals(status, completed_at, code):
    with pytest.raises(Refusal) as refused:
        refund_start(status, completed_at, NOW, WEEK)
    assert refused.value.code == code


@pytest.mark.parametrize("previous", [Status.PAID, Status.SHIPPED, Status.COMPLETED])
def test_a_failed_refund_puts_the_order_back_where_it_was(previous):
    assert transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to=previous) is previous


def test_a_failed_refund_goes_back_only_from_refund_requested():
    with pytest.raises(Refusal):
        transition(Status.PAID, Action.END_REFUND, back_to=Status.PAID)
    with pytest.raises(Refusal):
        transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to=Status.CANCELLED)


def test_a_shipped_order_is_delivered_once_then_completes_or_goes_to_a_refund():
    assert transition(Status.SHIPPED, Action.DELIVER) is Status.DELIVERED
    assert transition(Status.DELIVERED, Action.COMPLETE) is Status.COMPLETED
    assert transition(Status.DELIVERED, Action.REQUEST_REFUND) is Status.REFUND_REQUESTED
    assert refund_start(Status.DELIVERED, None, NOW, WEEK).status == "requested"  # the goods have to come back
    assert transition(Status.REFUND_REQUESTED, Action.END_REFUND, back_to="DELIVERED") is Status.DELIVERED
    for not_on_the_road in (Status.PAID, Status.DELIVERED, Status.COMPLETED, Status.REFUND_REQUESTED):
        with pytest.raises(Refusal):
            transition(not_on_the_road, Action.DELIVER)


def test_a_pickup_order_is_ready_then_picked_up_and_refunded_at_once_while_it_waits():
    assert transition(Status.PAID, Action.READY) is Status.READY_FOR_PICKUP
    assert transition(Status.READY_FOR_PICKUP, Action.PICK_UP) is Status.COMPLETED
    assert transition(Status.PAID, Action.PICK_UP) is Status.COMPLETED  # verified before ready arrived
    assert refund_start(Status.READY_FOR_PICKUP, None, NOW, WEEK) == RefundStart("approved", shipped=False)
    with pytest.raises(Refusal):  # nothing left the shop, so there is nothing to send back
        refund_start(Status.READY_FOR_PICKUP, None, NOW, WEEK, with_return=True)
    assert transition(Status.REFUND_REQUESTED, Action.END_REFUND,
                      back_to="READY_FOR_PICKUP") is Status.READY_FOR_PICKUP
    with pytest.raises(Refusal):
        transition(Status.READY_FOR_PICKUP, Action.SHIP)
