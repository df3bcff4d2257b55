"""Points farmed through refunds: points earned on an order are pending until its return window closed, so
they can't be spent on another order and kept after the first is refunded (marketing on real PostgreSQL and
RabbitMQ, events published as orders and payments publish them)."""

from __future__ import annotations

import asyncio

from services.marketing.app import create_app
from services.marketing.deps import deps_of
from services.marketing.jobs import release_due
from services.marketing.settings import MarketingSettings
from shared.events.orders import OrderCancelled
from tests.integration.marketing.conftest import MERCHANT, make_campaign, outbox, user
from tests.integration.marketing.test_orders import decision, paid, placed
from tests.integration.marketing.test_points_levels import completed, points, refunded
from tests.support import eventually


async def release_at_of(sql, order_id: str):
    return await sql.fetchval("SELECT release_at FROM paid_orders WHERE order_id = $1", order_id)


async def test_points_of_a_refunded_order_are_never_spent_nor_kept(market, sql, publish, clock):
    # The finding: ¥6,999 paid on order A earns 6,999 points.
    await publish.send(paid("ord_a", "fa", 699_900))
    await eventually(lambda: outbox(sql, "points.earned"))
    mine = await points(market, "fa")
    assert (mine["balance"], mine["available"], mine["pending"], mine["debt"]) == (0, 0, 6_999, 0)
    assert [(p["order_id"], p["points"], p["release_at"]) for p in mine["pending_orders"]] == [("ord_a", 6_999, None)]

    # Spending them on order B before A's return window closed is refused.
    await publish.send(placed("ord_b", "fa", None, subtotal_fen=700_000, points=6_999))
    assert (await decision(sql, "ord_b"))["reason"] == "points_insufficient"

    # A is received: its points release 7 days later, not before.
    await publish.send(completed("ord_a", "fa"))
    await eventually(lambda: release_at_of(sql, "ord_a"))
    clock.advance(days=6)
    assert await release_due(deps_of(market.app)) == 0
    assert (await points(market, "fa"))["pending_orders"][0]["release_at"] is not None

    # A is refunded inside the window: the pending points are cancelled, nothing was spent, nothing is owed.
    await publish.send(refunded("ord_a", "rf_a", 699_900, 699_900, True, user_id="fa"))
    await eventually(lambda: sql.fetchval("SELECT points_state = 'cancelled' FROM paid_orders "
                                          "WHERE order_id = 'ord_a'"))
    clock.advance(days=30)
    assert await release_due(deps_of(market.app)) == 0
    mine = await points(market, "fa")
    assert (mine["balance"], mine["pending"], mine["debt"], mine["pending_orders"]) == (0, 0, 0, [])
    assert [(e["kind"], e["delta"], e["pending"], e["shortfall"]) for e in reversed(mine["entries"])] == [
        ("earn", 0, 6_999, 0), ("clawback", 0, -6_999, 0)]
    assert await outbox(sql, "points.released") == []


async def test_released_points_are_spendable_and_a_late_refund_is_repaid_by_the_next_earnings(
        settings_for, start_app, sql, publish, clock):
    market = await start_app(create_app(settings_for(MarketingSettings, points_release_seconds=0.2), clock=clock))
    await publish.send(paid("ord_r1", "lu", 50_000))  # 500 points, pending
    await publish.send(completed("ord_r1", "lu"))
    await eventually(lambda: release_at_of(sql, "ord_r1"))
    clock.advance(days=7, seconds=1)
    released = await eventually(lambda: outbox(sql, "points.released"))  # the job, on its own
    assert released == [{"user_id": "lu", "order_id": "ord_r1", "merchant_id": MERCHANT, "points": 500, "repaid": 0}]
    mine = await points(market, "lu")
    assert (mine["balance"], mine["pending"], mine["usable"]) == (500, 0, True)
    await make_campaign(market)  # makes the merchant known for its member card
    card = await (await market.post(f"/merchants/{MERCHANT}/card", headers=user("lu"))).json()
    assert card["points"] == 500

    # Spent on another order, then the merchant refunds the first one after the window: what can't be clawed
    # back is owed, and the next release pays it first.
    await publish.send(placed("ord_r2", "lu", None, points=400))
    assert (await decision(sql, "ord_r2"))["points"] == 400
    await publish.send(paid("ord_r2", "lu", 14_600))  # spends 400, earns 146 (pending)
    await eventually(lambda: sql.fetchval("SELECT balance = 100 FROM points_accounts WHERE user_id = 'lu'"))
    await publish.send(refunded("ord_r1", "rf_r1", 50_000, 50_000, True, user_id="lu"))
    await eventually(lambda: sql.fetchval("SELECT debt = 400 FROM points_accounts WHERE user_id = 'lu'"))
    assert (await points(market, "lu"))["balance"] == 0

    await publish.send(completed("ord_r2", "lu"))
    await eventually(lambda: release_at_of(sql, "ord_r2"))
    clock.advance(days=8)
    await eventually(lambda: _count(outbox(sql, "points.released"), 2))
    mine = await points(market, "lu")
    assert (mine["balance"], mine["debt"], mine["pending"]) == (0, 254, 0)
    assert sum(e["delta"] for e in mine["entries"]) == mine["balance"]
    assert [(e["kind"], e["delta"], e["shortfall"]) for e in reversed(mine["entries"])] == [
        ("earn", 0, 0), ("release", 500, 0), ("spend", -400, 0), ("earn", 0, 0), ("clawback", -100, 400),
        ("release", 146, 0), ("repay", -146, 0)]

    # Points held by an unpaid order that is cancelled come back and pay the debt too.
    await sql.execute("UPDATE points_accounts SET balance = balance + 300 WHERE user_id = 'lu'")  # a grant
    await publish.send(placed("ord_r3", "lu", None, points=300))
    assert (await decision(sql, "ord_r3"))["points"] == 300
    await publish.send(OrderCancelled(order_id="ord_r3", user_id="lu", merchant_id=MERCHANT, reason="x"))
    await eventually(lambda: sql.fetchval("SELECT debt = 0 AND balance = 46 FROM points_accounts "
                                          "WHERE user_id = 'lu'"))


async def _count(rows, n: int):
    found = await rows
    return found if len(found) >= n else None


async def test_two_replicas_release_each_order_once(settings_for, start_app, sql, publish, clock):
    settings = settings_for(MarketingSettings)
    one = await start_app(create_app(settings, clock=clock))
    two = await start_app(create_app(settings, clock=clock))
    users = [f"u{i % 4}" for i in range(24)]
    for i, buyer in enumerate(users):
        await publish.send(paid(f"ord_x{i}", buyer, 10_000 + 100 * i))
        await publish.send(completed(f"ord_x{i}", buyer))
    await eventually(lambda: sql.fetchval("SELECT count(*) = 24 FROM paid_orders WHERE release_at IS NOT NULL"))
    clock.advance(days=8)
    counts = await asyncio.gather(*(release_due(deps_of(app.app), batch=5) for app in (one, two, one, two)))
    assert sum(counts) == 24
    expected = {u: sum(100 + i for i, b in enumerate(users) if b == u) for u in set(users)}
    rows = await sql.fetch("SELECT user_id, balance FROM points_accounts")
    assert {r["user_id"]: r["balance"] for r in rows} == expected
    assert len(await outbox(sql, "points.released")) == 24
