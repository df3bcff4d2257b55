"""Refunds through the original Alipay trade: partial, cumulative, idempotent, never a fen too many."""

from __future__ import annotations

from shared.events.orders import OrderRefundApproved
from tests.support import eventually


async def paid_by_alipay(mall, user_id: str, amount_fen: int) -> tuple[str, dict]:
    order_id = await mall.confirm_order(user_id, amount_fen)
    started = await (await mall.pay(order_id, user_id, method="alipay")).json()
    await mall.sandbox.pay(started["trade_no"])
    await mall.wait_status(started["payment_id"], "succeeded")
    return order_id, started


async def test_partial_refunds_up_to_the_paid_amount_and_not_one_fen_more(mall):
    order_id, started = await paid_by_alipay(mall, "u1", 10_000)
    await mall.approve_refund(order_id, "u1", "r1", 6_000)
    await mall.approve_refund(order_id, "u1", "r2", 4_000)
    refunded = await eventually(lambda: _count(mall, "payment.refunded", 2), timeout=10)
    # The two approvals are consumed concurrently, so either may be refunded first; the totals add up.
    first, second = sorted(refunded, key=lambda e: e["total_refunded_fen"])
    assert {(e["refund_id"], e["amount_fen"]) for e in refunded} == {("r1", 6_000), ("r2", 4_000)}
    assert (first["total_refunded_fen"], first["full"]) == (first["amount_fen"], False)
    assert (second["total_refunded_fen"], second["full"]) == (10_000, True)
    await mall.approve_refund(order_id, "u1", "r3", 1)
    [failed] = await eventually(lambda: mall.events("payment.refund_failed"), timeout=10)
    assert (failed["refund_id"], failed["reason"]) == ("r3", "refund_exceeds_paid")
    trade = await mall.sandbox.trade(started["trade_no"])
    assert trade["refunds"] == {"r1": 6_000, "r2": 4_000} and trade["status"] == "TRADE_CLOSED"
    assert (await mall.payment(started["payment_id"]))["refunded_fen"] == 10_000


async def test_the_same_refund_twice_moves_money_once(mall):
    order_id, started = await paid_by_alipay(mall, "u1", 5_000)
    await mall.approve_refund(order_id, "u1", "r-same", 2_000)
    await mall.approve_refund(order_id, "u1", "r-same", 2_000)  # another event, the same refund_id
    await mall.approve_refund(order_id, "u1", "r-next", 1_000)
    await eventually(lambda: _count(mall, "payment.refunded", 2), timeout=10)
    await eventually(lambda: mall.db.fetchval("SELECT count(*) = 3 FROM inbox WHERE event_type = "
                                              "'order.refund_approved'"), timeout=10)
    assert [e["refund_id"] for e in await mall.events("payment.refunded")] == ["r-same", "r-next"]
    assert (await mall.sandbox.trade(started["trade_no"]))["refunds"] == {"r-same": 2_000, "r-next": 1_000}
    assert (await mall.payment(started["payment_id"]))["refunded_fen"] == 3_000


async def test_refund_of_an_unpaid_order_is_refused(mall):
    order_id = await mall.confirm_order("u1", 1_000)
    await mall.approve_refund(order_id, "u1", "r-none", 1_000)
    [failed] = await eventually(lambda: mall.events("payment.refund_failed"), timeout=10)
    assert failed["reason"] == "not_paid"


async def _count(mall, event_type: str, n: int) -> list | None:
    events = await mall.events(event_type)
    return events if len(events) >= n else None


async def test_a_closing_refund_with_no_money_left_to_move_still_releases_the_held_deposit(mall):
    """The last units cost no money (points paid for them; the freight of a shipped order stays paid): orders
    announces the closing refund with 0 fen, and the held rental deposit goes back all the same."""
    order_id = await mall.confirm_order("u2", 2_000, deposit_fen=50_000)
    started = await (await mall.pay(order_id, "u2", score=600, method="alipay")).json()
    await mall.sandbox.pay(started["trade_no"])
    await mall.wait_status(started["payment_id"], "succeeded")
    await mall.publish(OrderRefundApproved(order_id=order_id, user_id="u2", merchant_id="m1", refund_id="r-part",
                                           amount_fen=1_500, reason="test", closes_order=False))
    await eventually(lambda: mall.events("payment.refunded"), timeout=10)
    assert (await mall.sandbox.trade(started["trade_no"]))["refunds"] == {"r-part": 1_500}  # still renting
    await mall.publish(OrderRefundApproved(order_id=order_id, user_id="u2", merchant_id="m1", refund_id="r-last",
                                           amount_fen=0, reason="test", closes_order=True))

    async def released() -> list[dict] | None:
        deposits = await (await mall.client.get("/me/deposits", headers={"X-User-Id": "u2"})).json()
        return deposits["items"] if deposits["items"][0]["status"] == "released" else None

    await eventually(released, timeout=10)
    refunds = (await mall.sandbox.trade(started["trade_no"]))["refunds"]
    assert refunds == {"r-part": 1_500, f"dep_{order_id}".replace("-", ""): 50_000}
    assert await mall.events("payment.refund_failed") == []
