"""The placement saga: orders waits for catalog (and marketing when a coupon or points are named), then
confirms or cancels once, whatever the order, lateness or repetition of the answers."""

from __future__ import annotations

from shared.events.catalog import ReservedLine, StockRejected, StockReserved
from shared.events.marketing import PromotionLocked, PromotionRejected
from tests.support import eventually


def reserved(order_id: str) -> StockReserved:
    return StockReserved(order_id=order_id, lines=[ReservedLine(sku_id="s1", qty=2)])


async def test_order_without_promotion_awaits_payment_once_stock_is_reserved(mall):
    placed = await mall.place(entry="scan")
    assert placed["status"] == "PENDING"
    [event] = await mall.emitted("order.placed", placed["id"])
    assert event["subtotal_fen"] == 2000 and event["entry"] == "scan" and event["lines"][0]["unit_price_fen"] == 1000

    await mall.publish(reserved(placed["id"]), times=2)
    order = await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
    assert (order["subtotal_fen"], order["discount_fen"], order["payable_fen"]) == (2000, 0, 2000)
    [confirmed] = await mall.emitted("order.confirmed", placed["id"])
    assert confirmed["payable_fen"] == 2000 and confirmed["deposit_fen"] == 1000
    assert confirmed["entry"] == "scan" and "/" not in confirmed["subject"]


def locked(order_id: str, discount_fen: int = 300, points_fen: int = 200) -> PromotionLocked:
    return PromotionLocked(order_id=order_id, user_id="u1", coupon_id="c9", discount_fen=discount_fen,
                           points=points_fen, points_fen=points_fen)


async def test_order_with_coupon_waits_for_marketing_then_confirms_once(mall):
    placed = await mall.place(coupon_id="c9", points=200)
    await mall.publish(reserved(placed["id"]))
    await mall.publish(reserved(placed["id"]))  # catalog says it again with a new event id
    # still waiting for marketing: the order must not be confirmed on stock alone
    assert (await mall.order(placed["id"], wait_ms=300))["status"] == "PENDING"

    await mall.publish(locked(placed["id"]), times=2)
    order = await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
    assert (order["discount_fen"], order["points_fen"], order["payable_fen"]) == (300, 200, 1500)
    [confirmed] = await mall.emitted("order.confirmed", placed["id"])
    assert confirmed["payable_fen"] == 1500 and confirmed["discount_fen"] == 300


async def test_promotion_answer_before_stock_answer_confirms_just_the_same(mall):
    placed = await mall.place(coupon_id="c9")
    await mall.publish(locked(placed["id"], points_fen=0))
    assert (await mall.order(placed["id"], wait_ms=300))["status"] == "PENDING"
    await mall.publish(reserved(placed["id"]))
    order = await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
    assert order["payable_fen"] == 1700
    assert len(await mall.emitted("order.confirmed", placed["id"])) == 1


async def test_out_of_stock_cancels_with_reason(mall):
    placed = await mall.place()
    await mall.publish(StockRejected(order_id=placed["id"], reason="out_of_stock", sku_id="s1"), times=2)
    order = await mall.status_becomes(placed["id"], "CANCELLED")
    assert order["reason"] == "out_of_stock" and order["payable_fen"] is None
    [cancelled] = await mall.emitted("order.cancelled", placed["id"])
    assert cancelled["reason"] == "out_of_stock"


async def test_rejected_coupon_cancels_even_when_stock_was_reserved(mall):
    placed = await mall.place(coupon_id="c9")
    await mall.publish(reserved(placed["id"]))
    await mall.publish(PromotionRejected(order_id=placed["id"], user_id="u1", reason="coupon_expired",
                                         coupon_id="c9"))
    order = await mall.status_becomes(placed["id"], "CANCELLED")
    assert order["reason"] == "coupon_expired"
    assert await mall.emitted("order.confirmed", placed["id"]) == []


async def test_late_answers_after_a_rejection_change_nothing(mall):
    placed = await mall.place(coupon_id="c9")
    await mall.publish(PromotionRejected(order_id=placed["id"], user_id="u1", reason="coupon_in_use"))
    await mall.status_becomes(placed["id"], "CANCELLED")
    await mall.publish(reserved(placed["id"]))
    await mall.publish(StockRejected(order_id=placed["id"], reason="price_changed"))
    await mall.publish(locked(placed["id"]))
    await eventually(lambda: mall.db.fetchval(
        "SELECT count(*) = 4 FROM inbox WHERE event_type LIKE 'stock.%' OR event_type LIKE 'promotion.%'"))
    order = await mall.order(placed["id"])
    assert (order["status"], order["reason"]) == ("CANCELLED", "coupon_in_use")
    assert len(await mall.emitted("order.cancelled", placed["id"])) == 1
    assert await mall.emitted("order.confirmed", placed["id"]) == []


async def test_stock_rejected_after_reserved_is_ignored(mall):
    placed = await mall.place()
    await mall.publish(reserved(placed["id"]))
    await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
    await mall.publish(StockRejected(order_id=placed["id"], reason="out_of_stock"))
    await eventually(lambda: mall.db.fetchval("SELECT count(*) = 2 FROM inbox WHERE event_type LIKE 'stock.%'"))
    assert (await mall.order(placed["id"]))["status"] == "AWAITING_PAYMENT"
    assert await mall.emitted("order.cancelled", placed["id"]) == []


async def test_coupon_worth_more_than_the_goods_leaves_one_fen_to_pay(mall):
    placed = await mall.place(coupon_id="c9", points=1000)
    await mall.publish(locked(placed["id"], discount_fen=1800, points_fen=1000))
    await mall.publish(reserved(placed["id"]))
    order = await mall.status_becomes(placed["id"], "AWAITING_PAYMENT")
    assert (order["discount_fen"], order["points_fen"], order["payable_fen"]) == (1800, 199, 1)
