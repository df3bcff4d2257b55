"""Deadlines with a controllable clock: unpaid orders cancel at pay-by, shipped orders complete on their own,
and two replicas never act twice on one deadline."""

from __future__ import annotations

import asyncio

from services.orders.deps import deps_of
from services.orders.flows import run_due_deadlines
from services.orders.jobs import deadline_round
from tests.integration.orders.flow import awaiting_payment, payment, shipped


async def test_unpaid_order_is_cancelled_at_pay_by_and_not_before(mall):
    order = await awaiting_payment(mall)
    mall.clock.advance(minutes=29, seconds=59)
    assert await run_due_deadlines(mall.db, mall.clock) == 0
    mall.clock.advance(seconds=1)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    order = await mall.order(order["id"])
    assert (order["status"], order["reason"]) == ("CANCELLED", "payment_timeout")
    [cancelled] = await mall.emitted("order.cancelled", order["id"])
    assert cancelled["reason"] == "payment_timeout"
    assert await run_due_deadlines(mall.db, mall.clock) == 0


async def test_pay_timeout_is_configurable_and_paid_orders_are_left_alone(make_mall):
    mall = await make_mall(pay_timeout_seconds=60)
    await mall.add_sku("s1")
    unpaid = await awaiting_payment(mall)
    payed = await awaiting_payment(mall)
    await mall.publish(payment(payed))
    await mall.status_becomes(payed["id"], "PAID")
    mall.clock.advance(seconds=61)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    assert (await mall.order(unpaid["id"]))["status"] == "CANCELLED"
    assert (await mall.order(payed["id"]))["status"] == "PAID"


async def test_shipped_order_completes_after_the_auto_confirm_period(mall):
    order = await shipped(mall)
    mall.clock.advance(days=6, hours=23)
    assert await run_due_deadlines(mall.db, mall.clock) == 0
    mall.clock.advance(hours=1)
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    assert (await mall.order(order["id"]))["status"] == "COMPLETED"
    assert len(await mall.emitted("order.completed", order["id"])) == 1


async def test_receipt_confirmed_by_the_buyer_ends_the_auto_confirm_deadline(mall):
    order = await shipped(mall)
    status, order = await mall.call("POST", f"/orders/{order['id']}/confirm-receipt", key="r1")
    assert (status, order["status"]) == (200, "COMPLETED")
    mall.clock.advance(days=8)
    assert await run_due_deadlines(mall.db, mall.clock) == 0
    assert len(await mall.emitted("order.completed", order["id"])) == 1


async def test_two_replicas_never_act_twice_on_one_deadline(make_mall):
    one = await make_mall(pay_timeout_seconds=60)
    two = await make_mall(pay_timeout_seconds=60)
    await one.add_sku("s1")
    # 30 buyers: one buyer may hold only 5 unpaid orders
    orders = [await one.place(user=f"u{i}", key=f"k{i}") for i in range(30)]
    one.clock.advance(minutes=2)
    acted = await asyncio.gather(*(run_due_deadlines(m.db, m.clock, limit=7) for m in (one, two, one, two)
                                   for _ in range(3)))
    assert sum(acted) == 30
    events = await one.emitted("order.cancelled")
    assert sorted(e["order_id"] for e in events) == sorted(o["id"] for o in orders)
    assert await two.db.fetchval("SELECT count(*) FROM orders WHERE status = 'CANCELLED'") == 30


async def test_a_deadline_whose_order_is_busy_waits_for_the_next_pass(mall):
    order = await awaiting_payment(mall)
    mall.clock.advance(minutes=31)
    async with mall.db.transaction() as busy:  # say, a payment.confirmed being handled right now
        await busy.conn.execute("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", order["id"])
        assert await asyncio.wait_for(run_due_deadlines(mall.db, mall.clock), 5) == 0
    assert await run_due_deadlines(mall.db, mall.clock) == 1
    assert (await mall.order(order["id"]))["status"] == "CANCELLED"


async def test_a_deadline_round_goes_on_while_batches_come_back_full(make_mall):
    mall = await make_mall(deadline_batch=2)
    await mall.add_sku("s1")
    orders = [await awaiting_payment(mall) for _ in range(5)]  # a buyer may hold 5 unpaid orders
    mall.clock.advance(minutes=31)
    assert await deadline_round(deps_of(mall.client.server.app)) == 5
    assert {(await mall.order(o["id"]))["status"] for o in orders} == {"CANCELLED"}


async def test_the_service_runs_the_deadline_job_itself(make_mall):
    mall = await make_mall(deadline_poll_seconds=0.05)
    await mall.add_sku("s1")
    order = await awaiting_payment(mall)
    mall.clock.advance(minutes=31)
    assert (await mall.status_becomes(order["id"], "CANCELLED"))["reason"] == "payment_timeout"
