"""One function per event that feeds a metric; every other event is only logged.

Every event's raw row goes into event_log, written by the first statement of its typed facts (upserts by
natural key) or alone when it feeds none.
The inbox already runs each event id once; the natural keys make a replay under a new id harmless.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from services.analytics import store
from services.analytics.deps import AnalyticsDeps
from shared.db import Tx
from shared.events import Event, EventData, UnknownEvent, model_for, registered_types
from shared.events.catalog import ReviewVisibilityChanged, ReviewWritten
from shared.events.gateway import UserActive
from shared.events.marketing import CouponClaimed, CouponRedeemed, CouponReleased, GroupBuyFailed, GroupBuySucceeded
from shared.events.orders import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderPaid,
    OrderPickedUp,
    OrderPlaced,
    OrderShipped,
)
from shared.events.payments import PaymentConfirmed, PaymentRefunded
from shared.service import Handlers


def logged(event: Event[Any]) -> store.LogRow:
    """The event's event_log row: every event gets one, written by the first statement of its facts."""
    data = event.data.model_dump(mode="json")
    merchant = data.get("merchant_id") if isinstance(data.get("merchant_id"), str) else None
    return event.id, event.type, event.occurred_at, merchant, data


async def on_order_placed(deps: AnalyticsDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    d = event.data
    await store.upsert_order_placed(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                    user_id=d.user_id, entry=d.entry, subtotal_fen=d.subtotal_fen,
                                    coupon_id=d.coupon_id, day=business_day(deps, event), log=logged(event))
    for line in d.lines:
        await store.add_order_line(tx.conn, order_id=d.order_id, sku_id=line.sku_id, merchant_id=d.merchant_id,
                                   product_id=line.product_id, name=line.name or line.product_id,
                                   qty=line.qty, unit_price_fen=line.unit_price_fen,
                                   list_price_fen=line.list_price_fen)
    if d.delivery is not None:
        await store.set_delivery_method(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                        method=d.delivery.method, store_id=d.delivery.store_id)


async def on_order_confirmed(deps: AnalyticsDeps, tx: Tx, event: Event[OrderConfirmed]) -> None:
    d = event.data
    await store.upsert_order_confirmed(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                       user_id=d.user_id, entry=d.entry, subtotal_fen=d.subtotal_fen,
                                       discount_fen=d.discount_fen, points_fen=d.points_fen,
                                       payable_fen=d.payable_fen, log=logged(event))


async def on_order_cancelled(deps: AnalyticsDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    d = event.data
    await store.mark_order_cancelled(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                     user_id=d.user_id, day=business_day(deps, event), log=logged(event))


async def on_payment_confirmed(deps: AnalyticsDeps, tx: Tx, event: Event[PaymentConfirmed]) -> None:
    d = event.data
    await store.lock_payment_facts(tx.conn, d.payment_id)
    await store.add_payment(tx.conn, payment_id=d.payment_id, order_id=d.order_id, merchant_id=d.merchant_id,
                            user_id=d.user_id, method=d.method, installments=d.installments,
                            amount_fen=d.amount_fen, occurred_at=event.occurred_at, day=business_day(deps, event),
                            log=logged(event))


async def on_payment_refunded(deps: AnalyticsDeps, tx: Tx, event: Event[PaymentRefunded]) -> None:
    d = event.data
    if d.unwanted:
        await store.lock_payment_facts(tx.conn, d.payment_id)
    await store.add_refund(tx.conn, refund_id=d.refund_id, payment_id=d.payment_id, order_id=d.order_id,
                           merchant_id=d.merchant_id, amount_fen=d.amount_fen, day=business_day(deps, event),
                           unwanted=d.unwanted, log=logged(event))
    if d.unwanted:  # the payment bought nothing: it leaves every figure, on the day it was counted too
        await store.mark_payment_unwanted(tx.conn, d.payment_id)


async def on_coupon_claimed(deps: AnalyticsDeps, tx: Tx, event: Event[CouponClaimed]) -> None:
    d = event.data
    await store.add_coupon_claim(tx.conn, coupon_id=d.coupon_id, merchant_id=d.merchant_id, user_id=d.user_id,
                                 template_id=d.template_id, campaign_id=d.campaign_id, day=business_day(deps, event),
                                 log=logged(event))


async def on_coupon_redeemed(deps: AnalyticsDeps, tx: Tx, event: Event[CouponRedeemed]) -> None:
    d = event.data
    await store.add_coupon_redemption(tx.conn, coupon_id=d.coupon_id, merchant_id=d.merchant_id,
                                      order_id=d.order_id, discount_fen=d.discount_fen, day=business_day(deps, event),
                                      log=logged(event))


async def on_coupon_released(deps: AnalyticsDeps, tx: Tx, event: Event[CouponReleased]) -> None:
    await store.add_coupon_return(tx.conn, coupon_id=event.data.coupon_id, order_id=event.data.order_id,
                                  log=logged(event))


async def on_user_active(deps: AnalyticsDeps, tx: Tx, event: Event[UserActive]) -> None:
    # The gateway states the visit's day itself (its "first visit of the day"), so that is the day used.
    d = event.data
    await store.add_visit(tx.conn, user_id=d.user_id, day=d.day, entry=d.entry, merchant_id=d.merchant_id,
                          log=logged(event))


async def _fulfilment_moment(deps: AnalyticsDeps, tx: Tx, event: Event[Any], stage: str) -> None:
    await store.set_fulfilment_moment(tx.conn, order_id=event.data.order_id, merchant_id=event.data.merchant_id,
                                      stage=stage, at=event.occurred_at, day=business_day(deps, event),
                                      log=logged(event))


async def on_order_paid(deps: AnalyticsDeps, tx: Tx, event: Event[OrderPaid]) -> None:
    if event.data.group_held:  # fulfilment starts when the group fills (group_buy.succeeded), not at payment
        await store.log_event(tx.conn, logged(event))
        return
    await _fulfilment_moment(deps, tx, event, "paid")


async def on_order_shipped(deps: AnalyticsDeps, tx: Tx, event: Event[OrderShipped]) -> None:
    await _fulfilment_moment(deps, tx, event, "shipped")


async def on_order_delivered(deps: AnalyticsDeps, tx: Tx, event: Event[OrderDelivered]) -> None:
    await _fulfilment_moment(deps, tx, event, "delivered")


async def on_order_picked_up(deps: AnalyticsDeps, tx: Tx, event: Event[OrderPickedUp]) -> None:
    await _fulfilment_moment(deps, tx, event, "picked_up")


async def on_group_buy_succeeded(deps: AnalyticsDeps, tx: Tx, event: Event[GroupBuySucceeded]) -> None:
    d = event.data
    await store.add_group_buy_outcome(tx.conn, group_id=d.group_id, merchant_id=d.merchant_id, deal_id=d.deal_id,
                                      outcome="succeeded", members=len(d.order_ids), day=business_day(deps, event),
                                      log=logged(event))
    for order_id in d.order_ids:  # the held orders go on to fulfilment now: their time to pick up counts from here
        await store.set_fulfilment_moment(tx.conn, order_id=order_id, merchant_id=d.merchant_id, stage="paid",
                                          at=event.occurred_at, day=business_day(deps, event))


async def on_group_buy_failed(deps: AnalyticsDeps, tx: Tx, event: Event[GroupBuyFailed]) -> None:
    d = event.data
    await store.add_group_buy_outcome(tx.conn, group_id=d.group_id, merchant_id=d.merchant_id, deal_id=d.deal_id,
                                      outcome="failed", members=len(d.order_ids), day=business_day(deps, event),
                                      log=logged(event))


async def on_review_written(deps: AnalyticsDeps, tx: Tx, event: Event[ReviewWritten]) -> None:
    d = event.data
    await store.add_review(tx.conn, review_id=d.review_id, merchant_id=d.merchant_id, product_id=d.product_id,
                           rating=d.rating, with_images=d.with_images, day=business_day(deps, event),
                           log=logged(event))


async def on_review_visibility_changed(deps: AnalyticsDeps, tx: Tx, event: Event[ReviewVisibilityChanged]) -> None:
    d = event.data
    await store.set_review_visibility(tx.conn, review_id=d.review_id, hidden=d.hidden, revision=d.revision,
                                      log=logged(event))


async def only_logged(deps: AnalyticsDeps, tx: Tx, event: Event[EventData]) -> None:
    await store.log_event(tx.conn, logged(event))


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def business_day(deps: AnalyticsDeps, event: Event[Any]) -> date:
    """An event's day is its calendar day in the shop's time zone."""
    return event.occurred_at.astimezone(_zone(deps.settings.timezone)).date()


def _table() -> Handlers[AnalyticsDeps]:
    """Every event in the catalogue: the typed ones above, the rest into event_log only."""
    table = (Handlers[AnalyticsDeps]()
             .on(OrderPlaced, on_order_placed).on(OrderConfirmed, on_order_confirmed)
             .on(OrderCancelled, on_order_cancelled).on(PaymentConfirmed, on_payment_confirmed)
             .on(PaymentRefunded, on_payment_refunded).on(CouponClaimed, on_coupon_claimed)
             .on(CouponRedeemed, on_coupon_redeemed).on(CouponReleased, on_coupon_released)
             .on(UserActive, on_user_active)
             .on(OrderPaid, on_order_paid).on(OrderShipped, on_order_shipped)
             .on(OrderDelivered, on_order_delivered).on(OrderPickedUp, on_order_picked_up)
             .on(GroupBuySucceeded, on_group_buy_succeeded).on(GroupBuyFailed, on_group_buy_failed)
             .on(ReviewWritten, on_review_written).on(ReviewVisibilityChanged, on_review_visibility_changed))
    for event_type in registered_types():
        try:
            model = model_for(event_type, 1)
        except UnknownEvent:  # a type that only exists in a later version: not ours to guess
            continue
        if model not in table.table:
            table.on(model, only_logged)
    return table


HANDLERS = _table()
