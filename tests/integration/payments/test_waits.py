"""A pay request that comes before payments has the order (order.confirmed still on its way) waits for it,
woken by that event's commit, instead of answering 409 order_not_ready at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from shared.events.orders import OrderConfirmed
from tests.support import eventually


async def test_pay_waits_for_the_order_on_its_way_then_pays(mall):
    order_id = "o-on-its-way"
    paying = asyncio.create_task(mall.pay(order_id, "u1", method="alipay"))
    await eventually(lambda: mall.ctx.changes.waiting == 1)
    await mall.publish(OrderConfirmed(
        order_id=order_id, user_id="u1", merchant_id="m1", subject="雨伞 umbrella", subtotal_fen=2_000,
        discount_fen=0, points_fen=0, payable_fen=2_000, deposit_fen=0,
        pay_by=datetime.now(UTC) + timedelta(minutes=30)))
    reply = await paying
    assert reply.status == 200, await reply.text()
    payment = await reply.json()
    assert (payment["order_id"], payment["amount_fen"], payment["status"]) == (order_id, 2_000, "pending")
    assert payment["trade_no"]


async def test_pay_for_an_order_that_never_comes_is_refused_after_the_wait(mall):
    loop = asyncio.get_running_loop()
    started = loop.time()
    refused = await mall.pay("o-never", "u1", method="alipay")
    assert (refused.status, (await refused.json())["code"]) == (409, "order_not_ready")
    assert loop.time() - started >= mall.ctx.settings.order_wait_ms / 1000

