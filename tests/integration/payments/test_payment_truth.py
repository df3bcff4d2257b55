"""The payment's truth without its notify: the buyer's check on return, a cancellation that meets a paid
trade, and reconciliation at start-up (the sandbox pays with `notify: false`, a notify that never comes)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web

from services.payments import store
from services.payments.app import create_app as create_payments
from services.payments.flows import paying
from tests.support import eventually


async def _paid_without_notify(mall: Any, user_id: str, amount_fen: int) -> tuple[str, dict[str, Any]]:
    order_id = await mall.confirm_order(user_id, amount_fen)
    started = await (await mall.pay(order_id, user_id, method="alipay")).json()
    paid = await mall.sandbox.pay(started["trade_no"], notify=False)
    assert paid["trade_status"] == "TRADE_SUCCESS" and paid["notify_id"] is None
    return order_id, started


async def test_check_on_return_applies_a_paid_trade_whose_notify_never_came(mall):
    order_id, started = await _paid_without_notify(mall, "u1", 8_800)
    assert await mall.sandbox.notifies(started["trade_no"]) == []  # Alipay never told us

    resp = await mall.check(order_id, "u1")
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    assert answer["status"] == "PAID"
    assert (answer["payment"]["payment_id"], answer["payment"]["status"]) == (started["payment_id"], "succeeded")
    [confirmed] = await mall.events("payment.confirmed")
    assert (confirmed["order_id"], confirmed["amount_fen"], confirmed["trade_no"]) == (
        order_id, 8_800, started["trade_no"])

    again = await (await mall.check(order_id, "u1")).json()  # checked again: same answer, nothing twice
    assert again["status"] == "PAID" and len(await mall.events("payment.confirmed")) == 1


async def test_check_is_the_buyers_own_and_queries_alipay_at_most_once_per_interval(mall):
    order_id = await mall.confirm_order("u1", 4_100)
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    other = await mall.check(order_id, "u2")
    assert other.status == 404 and (await other.json())["code"] == "order_not_found"
    assert (await mall.check("o-nobody", "u1")).status == 404

    first = await (await mall.check(order_id, "u1")).json()  # not paid yet: Alipay says WAIT_BUYER_PAY
    assert (first["status"], first["payment"]["status"]) == ("AWAITING_PAYMENT", "pending")
    await mall.sandbox.pay(started["trade_no"], notify=False)
    cached = await (await mall.check(order_id, "u1")).json()  # within the interval: what we know, no query
    assert (cached["status"], cached["payment"]["status"]) == ("AWAITING_PAYMENT", "pending")

    await mall.db.execute("UPDATE alipay_trades SET checked_at = now() - interval '1 hour'")  # time passes
    later = await (await mall.check(order_id, "u1")).json()
    assert (later["status"], later["payment"]["status"]) == ("PAID", "succeeded")


async def test_cancelling_an_order_whose_trade_was_paid_reports_the_payment_at_once(mall):
    order_id, started = await _paid_without_notify(mall, "u1", 12_789)
    await mall.cancel_order(order_id, "u1")
    # Closing answers ACQ.TRADE_HAS_SUCCESS: the handler queries and applies the trade, so orders hears of
    # the late payment now (and refunds it) instead of after reconciliation.
    await mall.wait_status(started["payment_id"], "succeeded")
    [confirmed] = await mall.events("payment.confirmed")
    assert (confirmed["order_id"], confirmed["amount_fen"]) == (order_id, 12_789)
    assert await mall.db.fetchval("SELECT status FROM payable_orders WHERE order_id = $1", order_id) == "cancelled"
    assert (await mall.sandbox.trade(started["trade_no"]))["status"] == "TRADE_SUCCESS"


async def test_cancelling_an_unpaid_order_still_closes_its_trade(mall):
    order_id = await mall.confirm_order("u1", 3_300)
    started = await (await mall.pay(order_id, "u1", method="alipay")).json()
    await mall.cancel_order(order_id, "u1")
    await mall.wait_status(started["payment_id"], "closed")
    assert (await mall.sandbox.trade(started["trade_no"]))["status"] == "TRADE_CLOSED"
    assert await mall.events("payment.confirmed") == []


async def test_a_restarted_payments_reconciles_at_start_up(mall, start_app):
    order_id, started = await _paid_without_notify(mall, "u1", 5_500)
    # Another replica starts (as after an outage): its first reconciliation round runs at once, not after
    # reconcile_interval_s (an hour here).
    settings = mall.ctx.settings.model_copy(update={"reconcile_interval_s": 3600, "reconcile_after_s": 0})
    await start_app(create_payments(settings))
    await eventually(lambda: mall.db.fetchval(
        "SELECT status = 'succeeded' FROM payments WHERE id = $1", started["payment_id"]), timeout=10)
    assert [e["order_id"] for e in await mall.events("payment.confirmed")] == [order_id]


async def test_a_slow_alipay_does_not_hold_the_buyer_and_its_late_answer_still_applies(mall, start_app):
    # Alipay answering after a second: a proxy in front of the sandbox that waits before passing the call on.
    async def slow_gateway(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        async with aiohttp.ClientSession() as session, session.post(
                mall.sandbox.gateway_url, params=request.query, data=await request.read(),
                headers={"Content-Type": request.headers["Content-Type"]}) as answer:
            return web.Response(body=await answer.read(), content_type="application/json")

    proxy = web.Application()
    proxy.router.add_post("/gateway.do", slow_gateway)
    slow_url = str((await start_app(proxy)).make_url("/gateway.do"))
    order_id, started = await _paid_without_notify(mall, "u1", 2_200)
    mall.ctx.settings.payment_check_timeout_s = 0.2
    mall.ctx.alipay.gateway_url = slow_url

    began = time.monotonic()
    slow = await mall.check(order_id, "u1")
    assert slow.status == 200, await slow.text()
    assert time.monotonic() - began < 0.9  # answered before Alipay did
    answer = await slow.json()
    assert (answer["status"], answer["payment"]["status"]) == ("AWAITING_PAYMENT", "pending")
    await mall.wait_status(started["payment_id"], "succeeded")  # Alipay's late answer still applies
    assert len(await mall.events("payment.confirmed")) == 1


async def test_a_check_that_meets_the_notify_being_applied_answers_the_payment_it_applied(mall):
    """The buyer is back while the notify is being applied (its transaction holds the trade): the check
    waits for it and answers the payment, so the buyer need not ask again."""
    order_id, started = await _paid_without_notify(mall, "u1", 6_600)
    out_trade_no = await mall.db.fetchval("SELECT out_trade_no FROM payments WHERE id = $1", started["payment_id"])
    async with mall.ctx.db.transaction() as tx:  # the notify, applied as handle_notify applies it
        trade = await store.lock_trade(tx.conn, out_trade_no)
        check = asyncio.create_task(mall.check(order_id, "u1"))
        await eventually(lambda: mall.db.fetchval(  # the check has reached the trade's row and waits for it
            "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE alipay_trades%'"))
        assert await paying.apply_trade_status(mall.ctx, tx, trade, "TRADE_SUCCESS", trade_no=started["trade_no"],
                                               fund_channel=None) == "paid"
    answer = await (await check).json()
    assert (answer["status"], answer["payment"]["status"]) == ("PAID", "succeeded")
    assert len(await mall.events("payment.confirmed")) == 1
