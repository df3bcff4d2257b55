"""Payments and refunds: what is paid is kept only when the order can be sold; refunds go through
order.refund_approved → payments → payment.refunded → REFUNDED."""

from __future__ import annotations

from services.orders.flows import run_due_deadlines
from shared.events.catalog import ReservedLine, StockReserved
from shared.events.payments import PaymentRefunded, PaymentRefundFailed
from tests.integration.orders.flow import awaiting_payment, paid, payment, shipped
from tests.support import eventually

ADDRESS = {"name": "张三", "phone": "13800000000", "province": "浙江省", "city": "杭州市", "district": "西湖区",
           "detail": "文三路 1 号", "region_code": "330106"}


def refunded(order: dict, refund: dict) -> PaymentRefunded:
    return PaymentRefunded(payment_id="p", order_id=order["id"], user_id=order["user_id"],
                           merchant_id=order["merchant_id"], refund_id=refund["refund_id"],
                           amount_fen=refund["amount_fen"], total_refunded_fen=refund["amount_fen"], full=True)


async def handled(mall, event_type: str, count: int) -> None:
    await eventually(lambda: mall.db.fetchval("SELECT count(*) = $2 FROM inbox WHERE event_type = $1",
                                              event_type, count))


async def test_payment_makes_the_order_paid_once(mall):
    order = await awaiting_payment(mall)
    confirmed = payment(order, payment_id="pay-1")
    await mall.publish(confirmed, times=2)
    await mall.publish(confirmed)  # payments reporting the same payment again, with a new event id
    order = await mall.status_becomes(order["id"], "PAID")
    assert order["payment"]["id"] == "pay-1" and order["payment"]["amount_fen"] == 2000
    await handled(mall, "payment.confirmed", 2)
    assert len(await mall.emitted("order.paid", order["id"])) == 1
    assert await mall.emitted("order.refund_approved", order["id"]) == []
    mall.clock.advance(hours=1)  # pay-by no longer applies
    assert await run_due_deadlines(mall.db, mall.clock) == 0


async def test_order_paid_says_how_the_order_is_delivered(mall):
    """Fulfilment and notifications leave an order without delivery, or not picked up, alone by it."""
    for delivery, method in ((None, "none"), ({"method": "pickup", "store_id": "st1"}, "pickup"),
                             ({"method": "express", "freight_fen": 800, "address": ADDRESS}, "express")):
        placed = await mall.place(**({"delivery": delivery} if delivery else {}))
        await mall.publish(StockReserved(order_id=placed["id"], lines=[ReservedLine(sku_id="s1", qty=2)]))
        order = await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
        await mall.publish(payment(order))
        await mall.status_becomes(order["id"], "PAID")
        [order_paid] = await mall.emitted("order.paid", order["id"])
        assert order_paid["delivery_method"] == method


async def test_late_payment_after_cancel_is_refunded_and_the_order_stays_cancelled(mall):
    order = await awaiting_payment(mall)
    mall.clock.advance(minutes=31)
    await run_due_deadlines(mall.db, mall.clock)
    late = payment(order, payment_id="pay-late")
    await mall.publish(late)
    await mall.publish(late)  # reported twice: refunded once
    await handled(mall, "payment.confirmed", 2)
    [approved] = await mall.emitted("order.refund_approved", order["id"])
    assert (approved["amount_fen"], approved["reason"]) == (2000, "late_payment")
    await mall.publish(refunded(order, approved))
    await handled(mall, "payment.refunded", 1)
    order = await mall.order(order["id"])
    assert (order["status"], order["reason"], order["payment"]) == ("CANCELLED", "payment_timeout", None)
    assert await mall.emitted("order.refunded") == []


async def test_payment_of_a_wrong_amount_is_refunded_and_the_order_still_awaits_payment(mall):
    order = await awaiting_payment(mall)
    await mall.publish(payment(order, amount_fen=1))
    await handled(mall, "payment.confirmed", 1)
    [approved] = await mall.emitted("order.refund_approved", order["id"])
    assert (approved["amount_fen"], approved["reason"]) == (1, "amount_mismatch")
    assert (await mall.order(order["id"]))["status"] == "AWAITING_PAYMENT"


async def test_refund_before_shipping_is_approved_at_once_and_restocks(mall):
    order = await paid(mall)
    status, refund = await mall.call("POST", f"/orders/{order['id']}/refund", key="r", json={"reason": "changed mind"})
    assert (status, refund["status"], refund["amount_fen"]) == (201, "approved", 2000)
    assert [(ln["line_id"], ln["qty"]) for ln in refund["lines"]] == [(order["lines"][0]["id"], 2)]
    assert (await mall.order(order["id"]))["status"] == "REFUND_REQUESTED"  # every unit: the order itself
    again = await mall.call("POST", f"/orders/{order['id']}/refund", key="r", json={"reason": "changed mind"})
    assert again == (status, refund)
    [approved] = await mall.emitted("order.refund_approved", order["id"])
    assert (approved["amount_fen"], approved["refund_id"], approved["closes_order"]) == (2000, refund["id"], True)
    assert await mall.emitted("order.refund_requested", order["id"]) == []  # nothing for the merchant to decide
    assert (await mall.call("POST", f"/merchant/orders/{order['id']}/ship", user=None, merchant="m1"))[1]["code"] \
        == "invalid_transition"

    await mall.publish(refunded(order, approved), times=2)
    order = await mall.status_becomes(order["id"], "REFUNDED")
    [done] = await mall.emitted("order.refunded", order["id"])
    assert done["restock"] is True and done["lines"][0]["qty"] == 2 and done["amount_fen"] == 2000


async def test_refund_after_receipt_needs_the_merchant_within_the_return_window(mall):
    order = await shipped(mall)
    oid = order["id"]
    await mall.call("POST", f"/orders/{oid}/confirm-receipt", key="c")
    mall.clock.advance(days=6)
    status, refund = await mall.call("POST", f"/orders/{oid}/refund", key="r1", json={"reason": "broken"})
    assert (status, refund["status"]) == (201, "requested")
    assert (await mall.order(oid))["status"] == "REFUND_REQUESTED"
    assert await mall.emitted("order.refund_approved", oid) == []
    [asked] = await mall.emitted("order.refund_requested", oid)  # the merchant is alerted (notifications)
    assert (asked["refund_id"], asked["merchant_id"], asked["reason"]) == (refund["id"], "m1", "broken")
    assert (await mall.call("POST", f"/merchant/orders/{oid}/refund/approve", user=None, merchant="m2"))[0] == 404
    status, after = await mall.call("POST", f"/merchant/orders/{oid}/refund/approve", user=None, merchant="m1")
    assert (status, after["refund"]["status"]) == (200, "approved")
    [approved] = await mall.emitted("order.refund_approved", oid)
    await mall.publish(refunded(order, approved))
    await mall.status_becomes(oid, "REFUNDED")
    [done] = await mall.emitted("order.refunded", oid)
    assert done["restock"] is False


async def test_refund_is_refused_after_the_return_window_and_a_rejected_one_restores_the_order(make_mall):
    mall = await make_mall(refund_answer_seconds=30 * 24 * 3600)  # the merchant's silence decides nothing here
    await mall.add_sku("s1", price_fen=1000)
    order = await shipped(mall)
    oid = order["id"]
    await mall.call("POST", f"/orders/{oid}/refund", key="r1", json={"reason": "late"})
    assert (await mall.order(oid))["status"] == "REFUND_REQUESTED"
    mall.clock.advance(days=8)  # auto-confirm is paused while the merchant decides
    assert await run_due_deadlines(mall.db, mall.clock) == 0
    status, after = await mall.call("POST", f"/merchant/orders/{oid}/refund/reject", user=None, merchant="m1")
    assert (status, after["status"], after["refund"]["status"]) == (200, "SHIPPED", "rejected")
    assert await run_due_deadlines(mall.db, mall.clock) == 1  # it was overdue: completes now
    assert (await mall.order(oid))["status"] == "COMPLETED"
    mall.clock.advance(days=7, seconds=1)
    status, problem = await mall.call("POST", f"/orders/{oid}/refund", key="r2", json={"reason": "late"})
    assert (status, problem["code"]) == (409, "return_window_closed")


async def test_user_cancel_and_invalid_transitions(mall):
    order = await awaiting_payment(mall)
    oid = order["id"]
    status, problem = await mall.call("POST", f"/orders/{oid}/confirm-receipt", key="c1")
    assert (status, problem["code"]) == (409, "invalid_transition")
    status, problem = await mall.call("POST", f"/orders/{oid}/refund", key="r1", json={"reason": "x"})
    assert (status, problem["code"]) == (409, "order_not_paid")
    assert (await mall.call("POST", f"/orders/{oid}/refund", key="r2", json={}))[0] == 422
    status, after = await mall.call("POST", f"/orders/{oid}/cancel", key="x1")
    assert (status, after["status"], after["reason"]) == (200, "CANCELLED", "user_cancelled")
    assert (await mall.call("POST", f"/orders/{oid}/cancel", key="x1")) == (status, after)
    assert (await mall.call("POST", f"/orders/{oid}/cancel", key="x2"))[1]["code"] == "invalid_transition"
    assert len(await mall.emitted("order.cancelled", oid)) == 1


def refund_failed(order: dict, approved: dict, reason: str = "refund_exceeds_paid") -> PaymentRefundFailed:
    return PaymentRefundFailed(order_id=order["id"], user_id=order["user_id"], merchant_id=order["merchant_id"],
                               refund_id=approved["refund_id"], amount_fen=approved["amount_fen"], reason=reason)


async def test_a_refund_payments_cannot_make_fails_visibly_and_the_order_goes_back(mall):
    order = await paid(mall)
    oid = order["id"]
    await mall.call("POST", f"/orders/{oid}/refund", key="r1", json={"reason": "changed mind"})
    [approved] = await mall.emitted("order.refund_approved", oid)
    await mall.publish(refund_failed(order, approved), times=2)
    order = await mall.status_becomes(oid, "PAID")
    assert (order["refund"]["status"], order["refund"]["failure_reason"]) == ("failed", "refund_exceeds_paid")
    status, listed = await mall.call("GET", "/merchant/orders", user=None, merchant="m1")
    [seen] = [o for o in listed["items"] if o["id"] == oid]
    assert (seen["status"], seen["refund"]["status"], seen["refund"]["failure_reason"]) == \
        ("PAID", "failed", "refund_exceeds_paid")
    assert await mall.emitted("order.refunded", oid) == []

    # The buyer may ask again; a late payment.refunded of the failed refund changes nothing.
    await mall.publish(refunded(order, approved))
    await handled(mall, "payment.refunded", 1)
    assert (await mall.order(oid))["status"] == "PAID"
    status, again = await mall.call("POST", f"/orders/{oid}/refund", key="r2", json={"reason": "still"})
    assert (status, again["status"], again["amount_fen"]) == (201, "approved", 2000)
    assert again["id"] != approved["refund_id"]


async def test_a_failed_refund_of_a_shipped_order_resumes_auto_confirm(mall):
    order = await shipped(mall)
    oid = order["id"]
    await mall.call("POST", f"/orders/{oid}/refund", key="r1", json={"reason": "broken"})
    await mall.call("POST", f"/merchant/orders/{oid}/refund/approve", user=None, merchant="m1")
    [approved] = await mall.emitted("order.refund_approved", oid)
    await mall.publish(refund_failed(order, approved, reason="alipay_refused"))
    order = await mall.status_becomes(oid, "SHIPPED")
    assert order["refund"]["failure_reason"] == "alipay_refused"
    mall.clock.advance(days=8)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    assert (await mall.order(oid))["status"] == "COMPLETED"


async def test_a_failed_refund_of_an_unwanted_payment_leaves_the_order_alone(mall):
    order = await awaiting_payment(mall)
    await mall.publish(payment(order, amount_fen=1))
    await handled(mall, "payment.confirmed", 1)
    [approved] = await mall.emitted("order.refund_approved", order["id"])
    await mall.publish(refund_failed(order, approved, reason="alipay_refused"))
    await handled(mall, "payment.refund_failed", 1)
    assert await mall.db.fetchrow("SELECT status, failure_reason FROM refunds WHERE refund_id = $1",
                                  approved["refund_id"]) == ("failed", "alipay_refused")
    assert (await mall.order(order["id"]))["status"] == "AWAITING_PAYMENT"
