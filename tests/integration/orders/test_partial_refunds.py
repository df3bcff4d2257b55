"""Partial refunds and returns with goods in orders: amounts shared out over lines, the order's status, the
refusals (nothing moved), two refunds racing for one line, and the deadlines of every waiting state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from services.orders.flows import run_due_deadlines
from shared.events.catalog import ReservedLine, StockReserved
from shared.events.marketing import PromotionLocked
from shared.events.payments import PaymentConfirmed, PaymentRefunded
from tests.integration.orders.flow import awaiting_payment
from tests.support import eventually

DAY = 24 * 3600


async def paid_order(mall: Any, *, freight_fen: int = 800) -> dict[str, Any]:
    """3 × ¥10 (s1) and 1 × ¥30 (s2) = ¥60, a ¥6 coupon, 600 points (¥6), ¥8 freight: ¥56 paid by Alipay."""
    await mall.add_sku("s2", price_fen=3000)
    placed = await mall.place(items=[{"sku_id": "s1", "qty": 3}, {"sku_id": "s2", "qty": 1}], coupon_id="c1",
                              points=600, delivery={"method": "express", "freight_fen": freight_fen})
    oid = placed["id"]
    await mall.publish(StockReserved(order_id=oid, lines=[ReservedLine(sku_id="s1", qty=3),
                                                          ReservedLine(sku_id="s2", qty=1)]))
    await mall.publish(PromotionLocked(order_id=oid, user_id="u1", coupon_id="c1", discount_fen=600, points=600,
                                       points_fen=600))
    order = await mall.status_becomes(oid, "AWAITING_PAYMENT")
    assert order["payable_fen"] == 6000 - 600 - 600 + freight_fen
    await mall.publish(PaymentConfirmed(
        payment_id=f"pay-{oid[:8]}", order_id=oid, user_id="u1", merchant_id="m1", method="alipay",
        amount_fen=order["payable_fen"], paid_at=datetime(2025, 3, 1, 10, 5, tzinfo=UTC)))
    return await mall.status_becomes(oid, "PAID")


async def ask(mall: Any, oid: str, lines: list[tuple[str, int]] | None = None, user: str = "u1",
              **body: Any) -> tuple[int, Any]:
    body.setdefault("reason", "不想要了")
    if lines is not None:
        body["lines"] = [{"line_id": line_id, "qty": qty} for line_id, qty in lines]
    return await mall.call("POST", f"/orders/{oid}/refund", user=user, key=uuid.uuid4().hex, json=body)


def money_back(refund: dict[str, Any], total: int) -> PaymentRefunded:
    return PaymentRefunded(payment_id="p", order_id=refund["order_id"], user_id="u1", merchant_id="m1",
                           refund_id=refund["id"], amount_fen=refund["amount_fen"], total_refunded_fen=total,
                           full=False)


async def test_units_of_lines_are_refunded_at_what_they_cost_and_the_last_ones_bring_the_freight(mall):
    order = await paid_order(mall)
    oid, (s1, s2) = order["id"], [ln["id"] for ln in order["lines"]]

    # s1 is ¥30 of ¥60: half of the coupon and of the points, so ¥24 of money and 300 points for 3 units
    status, first = await ask(mall, oid, [(s1, 1)])
    assert (status, first["status"], first["amount_fen"], first["points_fen"], first["freight_fen"]) == \
        (201, "approved", 800, 100, 0)
    assert (await mall.order(oid))["status"] == "PAID"  # a partly refunded order keeps its status
    [approved] = await mall.emitted("order.refund_approved", oid)
    assert (approved["amount_fen"], approved["points_fen"], approved["closes_order"]) == (800, 100, False)
    await mall.publish(money_back(first, 800))
    [done] = await eventually(lambda: mall.emitted("order.refunded", oid))
    assert (done["restock"], done["all_refunded"], done["points_fen"]) == (True, False, 100)
    assert [(ln["sku_id"], ln["qty"]) for ln in done["lines"]] == [("s1", 1)]

    # the rest, without naming lines: 2 × s1 (¥16, 200 points), s2 (¥24, 300 points) and the freight
    status, rest = await ask(mall, oid)
    assert (status, rest["amount_fen"], rest["points_fen"], rest["freight_fen"]) == (201, 1600 + 2400 + 800, 500,
                                                                                    800)
    assert first["amount_fen"] + rest["amount_fen"] == order["payable_fen"]
    assert (await mall.order(oid))["status"] == "REFUND_REQUESTED"
    status, problem = await ask(mall, oid, [(s2, 1)])
    assert (status, problem["code"]) == (409, "refund_pending")
    await mall.publish(money_back(rest, order["payable_fen"]))
    done = await mall.status_becomes(oid, "REFUNDED")
    assert [r["status"] for r in done["refunds"]] == ["refunded", "refunded"]
    last = (await mall.emitted("order.refunded", oid))[-1]
    assert (last["all_refunded"], last["amount_fen"]) == (True, 4800)
    status, listed = await mall.call("GET", f"/orders/{oid}/refunds")
    assert [r["id"] for r in listed["items"]] == [first["id"], rest["id"]]
    assert (await mall.call("GET", f"/orders/{oid}/refunds", user="u2"))[0] == 404


async def test_refusals_move_nothing(mall):
    order = await paid_order(mall)
    other = await paid_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    unpaid = await awaiting_payment(mall)
    refusals = [
        (oid, [(s1, 4)], {}, 409, "refund_exceeds_units"),  # 3 bought
        (oid, [(other["lines"][0]["id"], 1)], {}, 422, "line_not_in_order"),
        (oid, [(s1, 1), (s1, 1)], {}, 422, "duplicate_line"),
        (oid, [(s1, 1)], {"with_return": True}, 409, "nothing_to_return"),  # never shipped
        (unpaid["id"], [(unpaid["lines"][0]["id"], 1)], {}, 409, "order_not_paid"),
        (oid, [(s1, 0)], {}, 422, "validation_error"),
    ]
    for order_id, lines, extra, status, code in refusals:
        got = await ask(mall, order_id, lines, **extra)
        assert (got[0], got[1]["code"]) == (status, code), (lines, extra)
    assert (await ask(mall, oid, [(s1, 1)], user="u2"))[0] == 404
    assert await mall.db.fetchval("SELECT count(*) FROM refunds") == 0
    assert await mall.emitted("order.refund_approved") == []

    await ask(mall, oid, [(s1, 2)])
    got = await ask(mall, oid, [(s1, 2)])  # 2 of 3 already being refunded
    assert (got[0], got[1]["code"]) == (409, "refund_exceeds_units")
    assert len(await mall.emitted("order.refund_approved", oid)) == 1


async def test_two_concurrent_refunds_exceeding_a_line_one_is_refused(mall):
    order = await paid_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    answers = await asyncio.gather(*(ask(mall, oid, [(s1, 2)]) for _ in range(2)))
    assert sorted(status for status, _ in answers) == [201, 409]
    [refused] = [body for status, body in answers if status == 409]
    assert refused["code"] == "refund_exceeds_units"
    assert await mall.db.fetchval("SELECT sum(qty) FROM refund_lines WHERE order_id = $1", oid) == 2
    assert len(await mall.emitted("order.refund_approved", oid)) == 1


async def shipped_order(mall: Any) -> dict[str, Any]:
    order = await paid_order(mall)
    status, shipped = await mall.call("POST", f"/merchant/orders/{order['id']}/ship", user=None, merchant="m1")
    assert (status, shipped["status"]) == (200, "SHIPPED")
    return shipped


async def test_a_return_with_goods_waits_for_the_merchant_then_the_goods_then_moves_the_money(mall):
    order = await shipped_order(mall)
    oid, s2 = order["id"], order["lines"][1]["id"]
    status, refund = await ask(mall, oid, [(s2, 1)], with_return=True)
    assert (status, refund["status"], refund["amount_fen"], refund["with_return"]) == (201, "requested", 2400, True)
    rid = refund["id"]

    async def merchant(action: str, merchant: str = "m1", **body: Any) -> tuple[int, Any]:
        return await mall.call("POST", f"/merchant/refunds/{rid}/{action}", user=None, merchant=merchant,
                               key=uuid.uuid4().hex, json=body or None)

    assert (await merchant("approve", merchant="m2"))[0] == 404
    status, refund = await merchant("approve")
    assert (status, refund["status"]) == (200, "awaiting_return")
    assert await mall.emitted("order.refund_approved", oid) == []  # not before the goods are back
    shipment = {"carrier": "shunfeng", "tracking_no": "sf1234567890123"}
    path = f"/refunds/{rid}/return-shipment"
    assert (await mall.call("POST", path, user="u2", key="k1", json=shipment))[0] == 404
    status, refund = await mall.call("POST", path, key="k1", json=shipment)
    assert (status, refund["status"], refund["return_shipment"]["tracking_no"]) == (200, "returning",
                                                                                   "SF1234567890123")
    assert (await mall.call("POST", path, key="k1", json=shipment)) == (status, refund)  # a retry: same answer
    assert await mall.emitted("order.return_received", oid) == []
    status, refund = await merchant("receive-return")
    assert (status, refund["status"]) == (200, "approved")
    # the parcel is back: its units go back on sale now, before (and whatever becomes of) the money
    [received] = await mall.emitted("order.return_received", oid)
    assert (received["refund_id"], [(ln["sku_id"], ln["qty"]) for ln in received["lines"]]) == (rid, [("s2", 1)])
    [approved] = await mall.emitted("order.refund_approved", oid)
    assert (approved["amount_fen"], approved["points_fen"], approved["closes_order"]) == (2400, 300, False)
    await mall.publish(money_back(refund, 2400))

    async def refunded() -> dict[str, Any] | None:
        listed = (await mall.call("GET", f"/orders/{oid}/refunds"))[1]["items"]
        return listed[0] if listed[0]["status"] == "refunded" else None

    await eventually(refunded, timeout=10)
    [done] = await mall.emitted("order.refunded", oid)
    assert (done["restock"], done["all_refunded"]) == (False, False)  # restocked at receipt, not twice
    assert (await mall.order(oid))["status"] == "SHIPPED"


async def test_deadlines_decide_for_whoever_stays_silent(mall):
    order = await shipped_order(mall)
    oid = order["id"]
    status, refund = await ask(mall, oid, with_return=True)  # the rest of the order: it waits on the refund
    assert (await mall.order(oid))["status"] == "REFUND_REQUESTED"
    mall.clock.advance(days=2)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    [refund] = (await mall.call("GET", f"/orders/{oid}/refunds"))[1]["items"]
    assert (refund["status"], refund["timeout_reason"]) == ("awaiting_return", "merchant_did_not_answer")
    mall.clock.advance(days=6, hours=23)
    assert await run_due_deadlines(mall.db, mall.clock) == 0
    mall.clock.advance(hours=1)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    [refund] = (await mall.call("GET", f"/orders/{oid}/refunds"))[1]["items"]
    assert (refund["status"], refund["timeout_reason"], refund["due_at"]) == ("closed", "return_not_shipped", None)
    assert (await mall.order(oid))["status"] == "SHIPPED"  # back where it was; its auto-confirm was due
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    assert (await mall.order(oid))["status"] == "COMPLETED"
    assert await mall.emitted("order.refund_approved", oid) == []


async def test_a_merchant_silent_about_a_returned_parcel_has_it_taken_as_received(mall):
    order = await shipped_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    _, refund = await ask(mall, oid, [(s1, 2)], with_return=True)
    rid = refund["id"]
    await mall.call("POST", f"/merchant/refunds/{rid}/approve", user=None, merchant="m1", key="a")
    await mall.call("POST", f"/refunds/{rid}/return-shipment", key="s",
                    json={"carrier": "yunda", "tracking_no": "4312345678901"})
    mall.clock.advance(days=10)
    await run_due_deadlines(mall.db, mall.clock)
    [refund] = (await mall.call("GET", f"/orders/{oid}/refunds"))[1]["items"]
    assert (refund["status"], refund["timeout_reason"]) == ("approved", "merchant_did_not_confirm_receipt")
    assert refund["return_shipment"]["received_at"] is not None
    [received] = await mall.emitted("order.return_received", oid)  # so its units are back on sale
    assert [(ln["sku_id"], ln["qty"]) for ln in received["lines"]] == [("s1", 2)]
    [approved] = await mall.emitted("order.refund_approved", oid)
    assert approved["amount_fen"] == refund["amount_fen"] == 1600


async def test_a_rejected_refund_frees_its_units_and_the_merchant_may_refund_on_their_own(mall):
    order = await shipped_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    _, refund = await ask(mall, oid, [(s1, 3)])
    status, rejected = await mall.call("POST", f"/merchant/refunds/{refund['id']}/reject", user=None,
                                       merchant="m1", key="r", json={"reason": "已拆封"})
    assert (status, rejected["status"], rejected["reject_reason"]) == (200, "rejected", "已拆封")
    status, problem = await mall.call("POST", f"/merchant/refunds/{refund['id']}/approve", user=None,
                                      merchant="m1", key="a")
    assert (status, problem["code"]) == (409, "invalid_refund_transition")
    status, own = await mall.call("POST", f"/merchant/orders/{oid}/refund", user=None, merchant="m1", key="m",
                                  json={"reason": "缺货补偿", "lines": [{"line_id": s1, "qty": 3}]})
    assert (status, own["status"], own["requested_by"], own["amount_fen"]) == (201, "approved", "merchant", 2400)
    assert (await mall.call("POST", f"/merchant/orders/{oid}/refund", user=None, merchant="m2", key="m",
                            json={"reason": "x"}))[0] == 404


async def test_a_closing_refund_with_no_money_left_is_still_announced(mall):
    """A 1-fen line under a big coupon costs no money: its refund, the order's last units, moves none, yet
    payments must hear that the order is closed (a held deposit goes back, a pickup code closes)."""
    await mall.add_sku("s3", price_fen=1)
    placed = await mall.place(items=[{"sku_id": "s1", "qty": 1}, {"sku_id": "s3", "qty": 1}], coupon_id="c1",
                              points=300)
    oid = placed["id"]
    await mall.publish(StockReserved(order_id=oid, lines=[ReservedLine(sku_id="s1", qty=1),
                                                          ReservedLine(sku_id="s3", qty=1)]))
    await mall.publish(PromotionLocked(order_id=oid, user_id="u1", coupon_id="c1", discount_fen=600, points=300,
                                       points_fen=300))
    order = await mall.status_becomes(oid, "AWAITING_PAYMENT")
    await mall.publish(PaymentConfirmed(
        payment_id=f"pay-{oid[:8]}", order_id=oid, user_id="u1", merchant_id="m1", method="alipay",
        amount_fen=order["payable_fen"], paid_at=datetime(2025, 3, 1, 10, 5, tzinfo=UTC)))
    order = await mall.status_becomes(oid, "PAID")
    s1, s3 = (ln["id"] for ln in order["lines"])
    _, first = await ask(mall, oid, [(s1, 1)])
    assert first["amount_fen"] == order["payable_fen"]  # all the money was s1's
    await mall.publish(money_back(first, first["amount_fen"]))
    await eventually(lambda: mall.emitted("order.refunded", oid))
    status, last = await ask(mall, oid, [(s3, 1)])
    assert (status, last["amount_fen"], last["status"]) == (201, 0, "refunded")
    approved = (await mall.emitted("order.refund_approved", oid))[-1]
    assert (approved["refund_id"], approved["amount_fen"], approved["closes_order"]) == (last["id"], 0, True)
    assert (await mall.status_becomes(oid, "REFUNDED"))["status"] == "REFUNDED"


async def test_goods_handed_back_at_the_counter_are_back_on_sale_at_once(mall):
    order = await shipped_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    _, refund = await ask(mall, oid, [(s1, 1)], with_return=True)
    await mall.call("POST", f"/merchant/refunds/{refund['id']}/approve", user=None, merchant="m1", key="a")
    status, refund = await mall.call("POST", f"/merchant/refunds/{refund['id']}/receive-return", user=None,
                                     merchant="m1", key="r")  # no waybill: the buyer brought them back
    assert (status, refund["status"], refund["return_shipment"]) == (200, "approved", None)
    [received] = await mall.emitted("order.return_received", oid)
    assert [(ln["sku_id"], ln["qty"]) for ln in received["lines"]] == [("s1", 1)]


async def test_a_return_received_before_the_change_is_still_restocked_with_its_money(mall):
    """A refund whose goods were received by the code before order.return_received (its row says received,
    not restocked on receipt) keeps the old promise: order.refunded restocks it."""
    order = await shipped_order(mall)
    oid, s1 = order["id"], order["lines"][0]["id"]
    _, refund = await ask(mall, oid, [(s1, 1)], with_return=True)
    await mall.call("POST", f"/merchant/refunds/{refund['id']}/approve", user=None, merchant="m1", key="a")
    await mall.db.execute("UPDATE refunds SET status = 'approved', return_received_at = now() WHERE refund_id = $1",
                          refund["id"])  # as the old receive-return left it, its order.refund_approved sent
    await mall.publish(money_back(refund, refund["amount_fen"]))
    [done] = await eventually(lambda: mall.emitted("order.refunded", oid))
    assert done["restock"] is True
    assert await mall.emitted("order.return_received", oid) == []
