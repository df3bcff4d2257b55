"""Pay-later as a credit line on the real payments service, PostgreSQL, RabbitMQ and the Alipay sandbox:
limits per Sesame tier, concurrency, repayment through an Alipay trade, reminders and overdue marking by
the job on a manual clock, refunds, and the merchant's exposure."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from services.payments.jobs import reconcile_once, run_bills_once
from shared.clock import ManualClock
from tests.integration.payments.conftest import BUYER
from tests.support import eventually

DAY_MINUTES = 24 * 60


@pytest.fixture
def payments_clock() -> ManualClock:
    """The service's clock, moved by the test (the bills job and due dates read it)."""
    return ManualClock()


@pytest.fixture
def clock(payments_clock: ManualClock) -> ManualClock:
    return payments_clock


async def bills_of(mall, user_id: str, score: int | None = 700) -> dict[str, Any]:
    headers = {"X-User-Id": user_id, **({"X-User-Credit-Score": str(score)} if score is not None else {})}
    resp = await mall.client.get("/me/bills", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def pay_bill(mall, bill_id: str, user_id: str, *, key: str | None = None):
    return await mall.client.post(f"/me/bills/{bill_id}/pay", headers={
        "X-User-Id": user_id, "Idempotency-Key": key or uuid.uuid4().hex, "X-Alipay-User-Id": BUYER})


async def bought_on_credit(mall, user_id: str, amount_fen: int, *, score: int = 700, days: int = 1) -> str:
    order_id = await mall.confirm_order(user_id, amount_fen, minutes=days * DAY_MINUTES)
    resp = await mall.pay(order_id, user_id, score=score, method="pay_later")
    assert resp.status == 200, await resp.text()
    return order_id


async def refused(resp) -> tuple[int, str]:
    return resp.status, (await resp.json()).get("code")


async def test_limit_per_sesame_tier_and_used_plus_available(mall):
    # very good (650-699): 2 000 yuan by default; outstanding bills count against it
    await bought_on_credit(mall, "u1", 150_000, score=660)
    over = await mall.confirm_order("u1", 60_000)
    assert await refused(await mall.pay(over, "u1", score=660, method="pay_later")) == (409, "credit_limit_exceeded")
    await bought_on_credit(mall, "u1", 50_000, score=660)
    assert (await bills_of(mall, "u1", 660))["credit"] == {"limit_fen": 200_000, "used_fen": 200_000,
                                                          "available_fen": 0}
    # the same buyer with an excellent score (700+) has 5 000 yuan: the refused order now fits
    assert (await bills_of(mall, "u1", 720))["credit"] == {"limit_fen": 500_000, "used_fen": 200_000,
                                                          "available_fen": 300_000}
    assert (await mall.pay(over, "u1", score=720, method="pay_later")).status == 200
    # below the minimum score nothing changes; with the gate lowered, poor gets no credit and fair 500 yuan
    mall.ctx.settings.pay_later_min_score = 350
    poor = await mall.confirm_order("u2", 100)
    assert await refused(await mall.pay(poor, "u2", score=500, method="pay_later")) == (409, "credit_limit_exceeded")
    fair = await mall.confirm_order("u2", 50_001)
    assert await refused(await mall.pay(fair, "u2", score=560, method="pay_later")) == (409, "credit_limit_exceeded")
    assert (await bills_of(mall, "u2", 560))["credit"] == {"limit_fen": 50_000, "used_fen": 0, "available_fen": 50_000}
    assert (await bills_of(mall, "u2", None))["credit"]["limit_fen"] == 0


async def test_concurrent_pay_later_never_passes_the_limit(mall):
    orders = await asyncio.gather(*(mall.confirm_order("u1", 30_000) for _ in range(20)))
    answers = await asyncio.gather(*(mall.pay(o, "u1", score=720, method="pay_later") for o in orders))
    codes = [(await a.json()).get("code") for a in answers if a.status != 200]
    assert [a.status for a in answers].count(200) == 16 and set(codes) == {"credit_limit_exceeded"}
    assert await mall.db.fetchval("SELECT sum(amount_fen) FROM pay_later_bills WHERE user_id = 'u1'") == 480_000
    assert (await bills_of(mall, "u1"))["credit"] == {"limit_fen": 500_000, "used_fen": 480_000,
                                                     "available_fen": 20_000}


async def test_bill_repaid_through_an_alipay_trade_frees_the_credit(mall):
    order_id = await bought_on_credit(mall, "u1", 12_300)
    before = await bills_of(mall, "u1")
    [bill] = before["items"]
    assert (bill["order_id"], bill["amount_fen"], bill["status"]) == (order_id, 12_300, "open")
    assert before["credit"] == {"limit_fen": 500_000, "used_fen": 12_300, "available_fen": 487_700}

    assert await refused(await pay_bill(mall, bill["id"], "u2")) == (404, "bill_not_found")
    resp = await pay_bill(mall, bill["id"], "u1", key="repay-1")
    assert resp.status == 200, await resp.text()
    trade = await resp.json()
    assert trade["amount_fen"] == 12_300  # from the bill, not from the client
    assert (await mall.sandbox.trade(trade["trade_no"]))["total_fen"] == 12_300
    again = await (await pay_bill(mall, bill["id"], "u1")).json()
    assert again["trade_no"] == trade["trade_no"]  # the trade still waits: the same one

    await mall.sandbox.pay(trade["trade_no"])  # the sandbox sends the signed notify

    async def paid() -> bool:
        return (await bills_of(mall, "u1"))["items"][0]["status"] == "paid"
    await eventually(paid, timeout=10)
    assert (await bills_of(mall, "u1"))["credit"] == {"limit_fen": 500_000, "used_fen": 0, "available_fen": 500_000}
    [event] = await mall.events("bill.paid")
    assert (event["bill_id"], event["amount_fen"], event["trade_no"]) == (bill["id"], 12_300, trade["trade_no"])
    assert await refused(await pay_bill(mall, bill["id"], "u1")) == (409, "bill_already_paid")
    replay = await pay_bill(mall, bill["id"], "u1", key="repay-1")
    assert (await replay.json())["trade_no"] == trade["trade_no"]  # the idempotent answer, not a new trade


async def test_job_reminds_then_marks_overdue_which_blocks_pay_later(mall, clock):
    await bought_on_credit(mall, "u1", 5_000, days=60)
    [bill] = (await bills_of(mall, "u1"))["items"]
    assert await run_bills_once(mall.ctx) == (0, 0)
    clock.advance(days=27, hours=1)  # due in 2 days 23 hours: within the 3-day reminder window
    # two replicas at once: each bill is reminded once
    assert [sum(x) for x in zip(*await asyncio.gather(run_bills_once(mall.ctx), run_bills_once(mall.ctx)),
                                strict=True)] == [1, 0]
    assert await run_bills_once(mall.ctx) == (0, 0)
    [soon] = await mall.events("bill.due_soon")
    assert (soon["bill_id"], soon["user_id"], soon["due_fen"]) == (bill["id"], "u1", 5_000)

    clock.advance(days=3)
    assert await run_bills_once(mall.ctx) == (0, 1)
    assert await run_bills_once(mall.ctx) == (0, 0)
    [late] = await mall.events("bill.overdue")
    assert (late["bill_id"], late["due_fen"]) == (bill["id"], 5_000)
    assert (await bills_of(mall, "u1"))["items"][0]["status"] == "overdue"
    blocked = await mall.confirm_order("u1", 100, minutes=60 * DAY_MINUTES)
    assert await refused(await mall.pay(blocked, "u1", method="pay_later")) == (409, "bill_overdue")

    trade = await (await pay_bill(mall, bill["id"], "u1")).json()
    await mall.sandbox.pay(trade["trade_no"])
    await eventually(lambda: mall.events("bill.paid"), timeout=10)
    assert (await mall.pay(blocked, "u1", method="pay_later")).status == 200


async def test_past_due_blocks_even_before_the_job_runs(mall, clock):
    await bought_on_credit(mall, "u1", 5_000, days=60)
    clock.advance(days=30, seconds=1)
    assert (await bills_of(mall, "u1"))["items"][0]["status"] == "overdue"
    order = await mall.confirm_order("u1", 100, minutes=60 * DAY_MINUTES)
    assert await refused(await mall.pay(order, "u1", method="pay_later")) == (409, "bill_overdue")


async def test_refunds_shrink_an_unpaid_bill_and_go_back_through_a_repaid_one(mall):
    order_id = await bought_on_credit(mall, "u1", 10_000)
    [bill] = (await bills_of(mall, "u1"))["items"]
    stale = await (await pay_bill(mall, bill["id"], "u1")).json()  # a repayment trade for 10 000 waits

    await mall.approve_refund(order_id, "u1", "r-1", 4_000)
    await eventually(lambda: mall.events("payment.refunded"))
    after = await bills_of(mall, "u1")
    assert (after["items"][0]["due_fen"], after["credit"]["used_fen"]) == (6_000, 6_000)
    assert (await mall.sandbox.trade(stale["trade_no"]))["status"] == "TRADE_CLOSED"  # the old amount is gone

    fresh = await (await pay_bill(mall, bill["id"], "u1")).json()
    assert fresh["trade_no"] != stale["trade_no"] and fresh["amount_fen"] == 6_000
    await mall.sandbox.pay(fresh["trade_no"])
    await eventually(lambda: mall.events("bill.paid"), timeout=10)

    await mall.approve_refund(order_id, "u1", "r-2", 2_500)  # repaid: the money goes back through that trade

    async def two_refunds() -> bool:
        return len(await mall.events("payment.refunded")) == 2
    await eventually(two_refunds)
    assert (await mall.sandbox.trade(fresh["trade_no"]))["refunds"] == {"r-2": 2_500}
    refunded = await mall.events("payment.refunded")
    assert refunded[-1]["total_refunded_fen"] == 6_500
    assert (await bills_of(mall, "u1"))["credit"]["used_fen"] == 0


async def test_merchant_sees_its_pay_later_exposure(mall, clock):
    await bought_on_credit(mall, "u1", 3_000, days=60)
    await bought_on_credit(mall, "u2", 7_000, days=60)
    clock.advance(days=10)
    await bought_on_credit(mall, "u3", 1_000, days=60)
    clock.advance(days=21)  # the first two are past due, the third is not
    await run_bills_once(mall.ctx)
    resp = await mall.client.get("/merchant/pay-later", headers={"X-Merchant-Id": "m1"})
    exposure = await resp.json()
    assert {k: exposure[k] for k in ("open_fen", "open_count", "overdue_fen", "overdue_count", "outstanding_fen")} \
        == {"open_fen": 1_000, "open_count": 1, "overdue_fen": 10_000, "overdue_count": 2, "outstanding_fen": 11_000}
    assert sorted(i["due_fen"] for i in exposure["items"]) == [1_000, 3_000, 7_000]
    other = await (await mall.client.get("/merchant/pay-later", headers={"X-Merchant-Id": "m9"})).json()
    assert (other["outstanding_fen"], other["items"]) == (0, [])


async def test_a_repayment_whose_notify_is_lost_is_found_by_reconciliation(mall):
    await bought_on_credit(mall, "u1", 8_000)
    [bill] = (await bills_of(mall, "u1"))["items"]
    mall.ctx.settings.alipay_notify_url = "http://127.0.0.1:9/lost"  # Alipay's notify never arrives
    trade = await (await pay_bill(mall, bill["id"], "u1")).json()
    await mall.sandbox.pay(trade["trade_no"])
    assert (await bills_of(mall, "u1"))["items"][0]["status"] == "open"
    assert await reconcile_once(mall.ctx) == 1  # alipay.trade.query: paid
    assert (await bills_of(mall, "u1"))["items"][0]["status"] == "paid"
    assert [e["bill_id"] for e in await mall.events("bill.paid")] == [bill["id"]]


async def test_a_refund_meeting_a_paid_but_unannounced_repayment_goes_back_through_it(mall):
    order_id = await bought_on_credit(mall, "u1", 8_000)
    [bill] = (await bills_of(mall, "u1"))["items"]
    mall.ctx.settings.alipay_notify_url = "http://127.0.0.1:9/lost"
    trade = await (await pay_bill(mall, bill["id"], "u1")).json()
    await mall.sandbox.pay(trade["trade_no"])
    # Shrinking the bill would leave the buyer's 8 000 fen paid for a bill of 5 000: Alipay will not close
    # the paid trade, so payments asks it, settles the bill, and refunds through the repayment trade.
    await mall.approve_refund(order_id, "u1", "r-late", 3_000)
    await eventually(lambda: mall.events("payment.refunded"))
    after = await bills_of(mall, "u1")
    assert (after["items"][0]["status"], after["items"][0]["refunded_fen"], after["credit"]["used_fen"]) == \
        ("paid", 3_000, 0)
    assert (await mall.sandbox.trade(trade["trade_no"]))["refunds"] == {"r-late": 3_000}
    assert [e["bill_id"] for e in await mall.events("bill.paid")] == [bill["id"]]
