"""Points earned, spent and clawed back add up; member levels follow spend; member cards."""

from __future__ import annotations

import asyncio

from services.marketing.deps import deps_of
from services.marketing.jobs import refresh_stale_levels, release_due
from services.marketing.settings import MarketingSettings
from shared.events.orders import OrderCancelled, OrderCompleted
from shared.events.payments import PaymentRefunded
from tests.integration.marketing.conftest import MERCHANT, make_campaign, outbox, user
from tests.integration.marketing.test_orders import decision, paid, placed
from tests.support import eventually


async def points(market, user_id: str) -> dict:
    return await (await market.get("/me/points", headers=user(user_id))).json()


def refunded(order_id: str, refund_id: str, amount: int, total: int, full: bool,
             user_id: str = "pia") -> PaymentRefunded:
    return PaymentRefunded(payment_id="pay", order_id=order_id, user_id=user_id, merchant_id=MERCHANT,
                           refund_id=refund_id, amount_fen=amount, total_refunded_fen=total, full=full)


def completed(order_id: str, user_id: str) -> OrderCompleted:
    return OrderCompleted(order_id=order_id, user_id=user_id, merchant_id=MERCHANT)


async def release(market, publish, sql, clock, order_id: str, user_id: str) -> None:
    """The order is received, its return window passes, the release job runs (once, here)."""
    await publish.send(completed(order_id, user_id))
    await eventually(lambda: sql.fetchval("SELECT release_at FROM paid_orders WHERE order_id = $1", order_id))
    clock.advance(days=deps_of(market.app).settings.points_release_days, seconds=1)
    await release_due(deps_of(market.app))


async def test_points_earned_spent_and_clawed_back_add_up_and_never_go_negative(market, sql, publish, clock):
    await publish.send(paid("ord_p1", "pia", 50_000))  # ¥500 → 500 points (pending), level 2
    await eventually(lambda: outbox(sql, "points.earned"))
    assert ((await points(market, "pia"))["balance"], (await points(market, "pia"))["pending"]) == (0, 500)
    await release(market, publish, sql, clock, "ord_p1", "pia")
    assert (await points(market, "pia"))["balance"] == 500

    await publish.send(placed("ord_p2", "pia", None, points=300))
    locked = await decision(sql, "ord_p2")
    assert (locked["points"], locked["points_fen"], locked["discount_fen"]) == (300, 300, 0)
    assert (await points(market, "pia"))["available"] == 200
    await publish.send(placed("ord_p9", "pia", None, points=300))  # only 200 left unheld
    assert (await decision(sql, "ord_p9"))["reason"] == "points_insufficient"
    await publish.send(placed("ord_pcap", "pia", None, subtotal_fen=150, points=200))  # capped: 1 fen left to pay
    assert (await decision(sql, "ord_pcap"))["points"] == 149

    for order_id in ("ord_p2", "ord_pcap"):
        await publish.send(OrderCancelled(order_id=order_id, user_id="pia", merchant_id=MERCHANT, reason="x"))
    await eventually(lambda: sql.fetchval("SELECT locked = 0 FROM points_accounts WHERE user_id = 'pia'"))

    await publish.send(placed("ord_p3", "pia", None, points=300))
    assert (await decision(sql, "ord_p3"))["points"] == 300
    await publish.send(paid("ord_p3", "pia", 9_700))  # spends 300, earns 97 (pending)
    await eventually(lambda: sql.fetchval("SELECT balance = 200 FROM points_accounts WHERE user_id = 'pia'"))

    # A merchant refunds ord_p1 after its window: half of ¥500 → 250 back, only 200 there: 50 owed.
    await publish.send(refunded("ord_p1", "rf_1", 25_000, 25_000, False))
    await eventually(lambda: sql.fetchval("SELECT balance = 0 AND debt = 50 FROM points_accounts "
                                          "WHERE user_id = 'pia'"))
    await publish.send(refunded("ord_p1", "rf_2", 25_000, 50_000, True))  # the other 250, all owed
    await eventually(lambda: sql.fetchval("SELECT debt = 300 FROM points_accounts WHERE user_id = 'pia'"))
    await release(market, publish, sql, clock, "ord_p3", "pia")  # ord_p3's 97 points pay the debt first

    mine = await points(market, "pia")
    assert (mine["balance"], mine["debt"], mine["pending"]) == (0, 203, 0)
    assert sum(e["delta"] for e in mine["entries"]) == 0
    assert [(e["kind"], e["delta"], e["shortfall"]) for e in reversed(mine["entries"])] == [
        ("earn", 0, 0), ("release", 500, 0), ("spend", -300, 0), ("earn", 0, 0), ("clawback", -200, 50),
        ("clawback", 0, 250), ("release", 97, 0), ("repay", -97, 0)]

    # Levels: ¥500 paid reached level 2; refunds took the window's spend back under it.
    changes = await eventually(lambda: _two(outbox(sql, "member.level_changed")))
    assert [(c["old_level"], c["new_level"]) for c in changes] == [(1, 2), (2, 1)]
    level = await (await market.get(f"/me/level?merchant_id={MERCHANT}", headers=user("pia"))).json()
    assert (level["level"], level["spend_fen"], level["next_level_at_fen"]) == (1, 9_700, 50_000)


async def _two(rows):
    found = await rows
    return found if len(found) >= 2 else None


async def test_member_card_shows_level_points_and_store_page(market, sql, publish, clock):
    await make_campaign(market)  # makes the merchant known
    await publish.send(paid("ord_m1", "mo", 60_000))
    await eventually(lambda: outbox(sql, "member.level_changed"))
    card = await (await market.post(f"/merchants/{MERCHANT}/card", headers=user("mo"))).json()
    assert (card["level"], card["points"]) == (2, 0)  # the card shows spendable points: 600 still pending
    await release(market, publish, sql, clock, "ord_m1", "mo")
    card = await (await market.post(f"/merchants/{MERCHANT}/card", headers=user("mo"))).json()
    assert card == {**card, "merchant_id": MERCHANT, "level": 2, "points": 600, "balance_fen": None,
                    "store_page": f"/pages/store/index?merchant_id={MERCHANT}"}
    again = await (await market.post(f"/merchants/{MERCHANT}/card", headers=user("mo"))).json()
    assert again["opened_at"] == card["opened_at"]
    cards = await (await market.get("/me/cards", headers=user("mo"))).json()
    assert [c["merchant_id"] for c in cards["items"]] == [MERCHANT]
    assert (await market.post("/merchants/mch_nobody/card", headers=user("mo"))).status == 404


async def test_a_level_drops_when_its_spend_leaves_the_rolling_window(settings_for, start_app, clock, sql, publish):
    from services.marketing.app import create_app

    settings = settings_for(MarketingSettings, level_refresh_seconds=0.2, level_window_days=30)
    await start_app(create_app(settings, clock=clock))
    await publish.send(paid("ord_w1", "wen", 60_000))
    await eventually(lambda: outbox(sql, "member.level_changed"))
    clock.advance(days=31)
    changes = await eventually(lambda: _two(outbox(sql, "member.level_changed")))
    assert [(c["old_level"], c["new_level"]) for c in changes] == [(1, 2), (2, 1)]
    # Later rounds find nothing more to lower for wen. The marker: a round that lowers another member, whose
    # spend leaves the window after wen's, looked at wen too.
    await publish.send(paid("ord_w2", "mark", 60_000).model_copy(update={"paid_at": clock.now()}))
    await eventually(lambda: _count(outbox(sql, "member.level_changed"), 3))
    clock.advance(days=31)
    changes = await eventually(lambda: _count(outbox(sql, "member.level_changed"), 4))
    assert [(c["user_id"], c["old_level"], c["new_level"]) for c in changes] == [
        ("wen", 1, 2), ("wen", 2, 1), ("mark", 1, 2), ("mark", 2, 1)]


async def _count(rows, at_least: int):
    found = await rows
    return found if len(found) >= at_least else None


async def test_two_replicas_share_the_level_refresh_and_lower_each_member_once(market, sql, publish, clock):
    # 30 members reach level 2; a month later their spend has left the window. Two replicas' rounds run at
    # the same time (on one pool here, as on one database): each member is claimed by one of them.
    members = [f"rep{n:02d}" for n in range(30)]
    for n, member in enumerate(members):
        await publish.send(paid(f"ord_r{n}", member, 60_000))
    await eventually(lambda: _count(outbox(sql, "member.level_changed"), len(members)), timeout=20)
    clock.advance(days=deps_of(market.app).settings.level_window_days + 1)
    deps = deps_of(market.app)
    first, second = await asyncio.gather(refresh_stale_levels(deps, batch=4), refresh_stale_levels(deps, batch=4))
    assert first + second == len(members) and first > 0 and second > 0  # shared, and nothing done twice
    lowered = [c["user_id"] for c in await outbox(sql, "member.level_changed") if c["new_level"] == 1]
    assert sorted(lowered) == members
    assert await refresh_stale_levels(deps) == 0  # nothing left for a later round
