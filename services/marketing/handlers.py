"""One function per consumed event. Each runs once per event id inside the inbox's transaction.

Events may come late, twice (as distinct events) or out of order: every state change is conditional.
"""

from __future__ import annotations

from datetime import datetime

from services.marketing.deps import MarketingDeps
from services.marketing.domain.coupons import Cart, CartLine, Rejection
from services.marketing.domain.points import POINT_FEN, points_earned, release_at
from services.marketing.flows import group_buy, pricing
from services.marketing.flows.levels import refresh_level
from services.marketing.flows.points import give_back_spent, refund_order, repay_debt
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import coupons as coupons_db
from services.marketing.store import members as members_db
from services.marketing.store import orders as orders_db
from services.marketing.store import points as points_db
from services.marketing.store import vouchers as vouchers_db
from shared.db import Tx
from shared.events.base import Event
from shared.events.catalog import StoreChanged
from shared.events.marketing import (
    CouponRedeemed,
    CouponReleased,
    PointsEarned,
    PromotionLocked,
    PromotionRejected,
)
from shared.events.orders import OrderCancelled, OrderCompleted, OrderPaid, OrderPlaced, OrderRefunded
from shared.events.payments import PaymentConfirmed, PaymentRefunded
from shared.refusal import Refusal
from shared.service import Handlers


class NotYet(Exception):
    """An event that depends on one not handled yet: raising retries it later."""


def cart_of(placed: OrderPlaced) -> Cart:
    freight = placed.delivery.freight_fen if placed.delivery is not None else 0
    return Cart(merchant_id=placed.merchant_id, subtotal_fen=placed.subtotal_fen, freight_fen=freight, lines=[
        CartLine(sku_id=x.sku_id, product_id=x.product_id, qty=x.qty, unit_price_fen=x.unit_price_fen,
                 category_id=x.category_id) for x in placed.lines])


def asks_promotion(placed: OrderPlaced) -> bool:
    """Whether an order has a coupon, points or a group-buy seat to hold; else orders does not wait for
    marketing, and its order.placed asks nothing here."""
    return placed.group_buy is not None or bool(placed.coupon_id) or placed.points > 0


async def on_order_placed(deps: MarketingDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    d, now = event.data, deps.clock.now()
    if not asks_promotion(d):
        return
    if d.group_buy is not None:
        await _seat_group_order(tx, d, now)
        return
    if await orders_db.get_order(tx.conn, d.order_id) is not None:
        return  # already decided, or cancelled before it was placed
    try:
        async with tx.conn.transaction():  # a savepoint: a refusal leaves nothing held
            priced = await pricing.lock(tx.conn, order_id=d.order_id, user_id=d.user_id, cart=cart_of(d),
                                        coupon_id=d.coupon_id, points=d.points, now=now)
    except Rejection as refusal:
        await orders_db.insert_order(tx.conn, order_id=d.order_id, user_id=d.user_id, merchant_id=d.merchant_id,
                                     status="rejected", coupon_id=d.coupon_id, discount_fen=0, points=0,
                                     reason=refusal.code, now=now)
        await tx.emit(PromotionRejected(order_id=d.order_id, user_id=d.user_id, reason=refusal.code,
                                        coupon_id=d.coupon_id))
        return
    await orders_db.insert_order(tx.conn, order_id=d.order_id, user_id=d.user_id, merchant_id=d.merchant_id,
                                 status="locked", coupon_id=d.coupon_id, discount_fen=priced.discount_fen,
                                 points=priced.points, reason=None, now=now)
    await tx.emit(PromotionLocked(order_id=d.order_id, user_id=d.user_id, coupon_id=d.coupon_id,
                                  discount_fen=priced.discount_fen, points=priced.points,
                                  points_fen=priced.points_fen, freight_off_fen=priced.freight_off_fen))


async def _seat_group_order(tx: Tx, d: OrderPlaced, now: datetime) -> None:
    """A group-buy order's promotion is its seat and the group price (orders takes no coupon or points with
    it): promotion.locked with the group discount, or promotion.rejected with why (group_full, ...)."""
    if await orders_db.get_order(tx.conn, d.order_id) is not None:
        return  # already decided, or cancelled before it was placed
    try:
        async with tx.conn.transaction():  # a savepoint: a refusal leaves no seat and no group
            discount_fen = await group_buy.claim_seat(tx, d, now)
    except Refusal as refusal:
        await orders_db.insert_order(tx.conn, order_id=d.order_id, user_id=d.user_id, merchant_id=d.merchant_id,
                                     status="rejected", coupon_id=None, discount_fen=0, points=0,
                                     reason=refusal.code, now=now)
        await tx.emit(PromotionRejected(order_id=d.order_id, user_id=d.user_id, reason=refusal.code))
        return
    await orders_db.insert_order(tx.conn, order_id=d.order_id, user_id=d.user_id, merchant_id=d.merchant_id,
                                 status="locked", coupon_id=None, discount_fen=discount_fen, points=0,
                                 reason=None, now=now)
    await tx.emit(PromotionLocked(order_id=d.order_id, user_id=d.user_id, discount_fen=discount_fen))


async def on_order_cancelled(deps: MarketingDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    d, now = event.data, deps.clock.now()
    if await orders_db.get_order(tx.conn, d.order_id) is None:
        # Cancelled before we saw it placed: a tombstone makes the late order.placed hold nothing.
        await orders_db.insert_order(tx.conn, order_id=d.order_id, user_id=d.user_id, merchant_id=d.merchant_id,
                                     status="released", coupon_id=None, discount_fen=0, points=0,
                                     reason=d.reason, now=now)
        return
    await group_buy.release_seat(tx, d.order_id, now)
    held = await orders_db.move_order(tx.conn, d.order_id, "locked", "released", now)
    if held is None:
        return  # rejected, released or already paid: nothing held
    released = await coupons_db.release_coupon(tx.conn, d.order_id)
    if released is not None:
        await tx.emit(CouponReleased(coupon_id=released["id"], order_id=d.order_id, user_id=released["user_id"]))
    if held["points"]:
        await points_db.unlock_points(tx.conn, held["user_id"], held["points"])
        await repay_debt(tx, held["user_id"], d.order_id, now)


async def on_order_paid(deps: MarketingDeps, tx: Tx, event: Event[OrderPaid]) -> None:
    """orders kept the payment: the coupon is redeemed, the held points spent, new points earned (pending) and a
    group-buy seat paid. order.paid, not payment.confirmed: only orders knows whether a payment bought the
    order. A payment that comes after the pay-by deadline cancelled the order (or of the wrong amount) is
    refunded by orders, and its payment.confirmed may reach us before that order.cancelled: the coupon and
    points must then come back, not be used."""
    d, now = event.data, deps.clock.now()
    paid_at = d.paid_at or event.occurred_at  # older events lack paid_at
    held = await orders_db.move_order(tx.conn, d.order_id, "locked", "redeemed", now)
    if held is not None:
        coupon = await coupons_db.redeem_coupon(tx.conn, d.order_id, now)
        if coupon is not None:
            await campaigns_db.add_redeemed(tx.conn, coupon["campaign_id"], coupon["discount_fen"])
            await vouchers_db.owe(tx.conn, coupon_id=coupon["id"], action="use", order_id=d.order_id,
                                  total_fen=d.payable_fen + (coupon["discount_fen"] or 0), now=now)
            await tx.emit(CouponRedeemed(
                coupon_id=coupon["id"], template_id=coupon["template_id"], campaign_id=coupon["campaign_id"],
                order_id=d.order_id, user_id=coupon["user_id"], merchant_id=coupon["merchant_id"],
                discount_fen=coupon["discount_fen"]))
        if held["points"]:
            await points_db.spend_locked(tx.conn, held["user_id"], held["points"])
            await points_db.record(tx.conn, user_id=held["user_id"], kind="spend", delta=-held["points"],
                                   ref=d.order_id, order_id=d.order_id, now=now)
    await group_buy.seat_paid(tx, d.order_id, now)
    earned = points_earned(d.payable_fen, deps.settings.points_per_yuan)
    first = await points_db.insert_paid_order(tx.conn, order_id=d.order_id, user_id=d.user_id,
                                              merchant_id=d.merchant_id, paid_fen=d.payable_fen, points=earned,
                                              paid_at=paid_at)
    if not first:
        return  # order.paid again (or already handled on payment.confirmed before this change): nothing more
    if earned:  # pending: spendable only once the order can no longer be refunded (order.completed + window)
        await points_db.record(tx.conn, user_id=d.user_id, kind="earn", delta=0, pending=earned,
                               ref=d.order_id, order_id=d.order_id, now=now)
        await tx.emit(PointsEarned(user_id=d.user_id, order_id=d.order_id, merchant_id=d.merchant_id,
                                   points=earned))
    await refresh_level(tx, deps.settings, d.user_id, d.merchant_id, now)


async def on_payment_refunded(deps: MarketingDeps, tx: Tx, event: Event[PaymentRefunded]) -> None:
    d, now = event.data, deps.clock.now()
    if d.unwanted:
        return  # a late, second or wrong-amount payment given back: it bought nothing here (no order.paid)
    paid = await points_db.paid_order(tx.conn, d.order_id)
    if paid is None:
        raise NotYet(f"refund of {d.order_id} before its payment was handled")
    await refund_order(tx, paid, refund_id=d.refund_id, total_refunded_fen=d.total_refunded_fen, full=d.full,
                       now=now)
    await refresh_level(tx, deps.settings, d.user_id, paid["merchant_id"], now)


async def on_order_refunded(deps: MarketingDeps, tx: Tx, event: Event[OrderRefunded]) -> None:
    """The points the refunded units cost come back as points; the coupon comes back only once the whole order
    is refunded, and only while it has not expired (it was shared out over every line)."""
    d, now = event.data, deps.clock.now()
    if d.points_fen <= 0 and not d.all_refunded:
        return
    held = await orders_db.get_order(tx.conn, d.order_id)
    if held is not None and held["status"] == "locked":
        raise NotYet(f"refund of {d.order_id} before its payment was handled")
    await give_back_spent(tx, d.user_id, d.order_id, d.refund_id, d.points_fen // POINT_FEN, now)
    if d.all_refunded and held is not None:
        coupon = await coupons_db.return_used_coupon(tx.conn, d.order_id, now)
        if coupon is not None:
            await campaigns_db.add_redeemed(tx.conn, coupon["campaign_id"], -(held["discount_fen"] or 0))
            await vouchers_db.owe(tx.conn, coupon_id=coupon["id"], action="refund", order_id=d.order_id,
                                  total_fen=None, now=now)
            await tx.emit(CouponReleased(coupon_id=coupon["id"], order_id=d.order_id, user_id=coupon["user_id"]))


async def on_order_completed(deps: MarketingDeps, tx: Tx, event: Event[OrderCompleted]) -> None:
    d, now = event.data, deps.clock.now()
    if await points_db.paid_order(tx.conn, d.order_id) is None:
        raise NotYet(f"completion of {d.order_id} before its payment was handled")
    await points_db.set_release_at(tx.conn, d.order_id, release_at(now, deps.settings.points_release_days))


async def on_store_changed(deps: MarketingDeps, tx: Tx, event: Event[StoreChanged]) -> None:
    d = event.data
    await members_db.upsert_store(tx.conn, store_id=d.store_id, merchant_id=d.merchant_id, name=d.name,
                                  address=d.address, lat=d.lat, lng=d.lng, active=d.active)


HANDLERS = (Handlers[MarketingDeps]()
            .on(OrderPlaced, on_order_placed, needs=asks_promotion)
            .on(OrderCancelled, on_order_cancelled)
            .retire(PaymentConfirmed)  # the coupon, points and seat follow order.paid
            .on(OrderPaid, on_order_paid)
            .on(PaymentRefunded, on_payment_refunded)
            .on(OrderCompleted, on_order_completed)
            .on(OrderRefunded, on_order_refunded)
            .on(StoreChanged, on_store_changed))
