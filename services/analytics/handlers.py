"""One function per event that feeds a metric; every other event is only logged.

Every handler first writes the raw event to event_log, then its typed facts (upserts by natural key).
The inbox already runs each event id once; the natural keys make a replay under a new id harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from services.analytics import store
from shared.db import Tx
from shared.events import Event, EventData, UnknownEvent, model_for, registered_types
from shared.events.gateway import UserActive
from shared.events.marketing import CouponClaimed, CouponRedeemed
from shared.events.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from shared.events.payments import PaymentConfirmed, PaymentRefunded
from shared.inbox import Handler


class Facts:
    """The handlers, bound to the shop's time zone (an event's day is its local calendar day)."""

    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def day(self, event: Event[Any]) -> date:
        return event.occurred_at.astimezone(self.zone).date()

    async def log(self, tx: Tx, event: Event[Any]) -> None:
        data = event.data.model_dump(mode="json")
        merchant = data.get("merchant_id") if isinstance(data.get("merchant_id"), str) else None
        await store.log_event(tx.conn, event.id, event.type, event.occurred_at, merchant, data)

    async def on_order_placed(self, tx: Tx, event: Event[OrderPlaced]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.upsert_order_placed(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                        user_id=d.user_id, entry=d.entry, subtotal_fen=d.subtotal_fen,
                                        coupon_id=d.coupon_id, day=self.day(event))
        for line in d.lines:
            await store.add_order_line(tx.conn, order_id=d.order_id, sku_id=line.sku_id, merchant_id=d.merchant_id,
                                       product_id=line.product_id, name=line.name or line.product_id,
                                       qty=line.qty, unit_price_fen=line.unit_price_fen)

    async def on_order_confirmed(self, tx: Tx, event: Event[OrderConfirmed]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.upsert_order_confirmed(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                           user_id=d.user_id, entry=d.entry, subtotal_fen=d.subtotal_fen,
                                           discount_fen=d.discount_fen, points_fen=d.points_fen,
                                           payable_fen=d.payable_fen)

    async def on_order_cancelled(self, tx: Tx, event: Event[OrderCancelled]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.mark_order_cancelled(tx.conn, order_id=d.order_id, merchant_id=d.merchant_id,
                                         user_id=d.user_id, day=self.day(event))

    async def on_payment_confirmed(self, tx: Tx, event: Event[PaymentConfirmed]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.lock_payment_facts(tx.conn, d.payment_id)
        await store.add_payment(tx.conn, payment_id=d.payment_id, order_id=d.order_id, merchant_id=d.merchant_id,
                                user_id=d.user_id, method=d.method, installments=d.installments,
                                amount_fen=d.amount_fen, occurred_at=event.occurred_at, day=self.day(event))

    async def on_payment_refunded(self, tx: Tx, event: Event[PaymentRefunded]) -> None:
        await self.log(tx, event)
        d = event.data
        if d.unwanted:
            await store.lock_payment_facts(tx.conn, d.payment_id)
        await store.add_refund(tx.conn, refund_id=d.refund_id, payment_id=d.payment_id, order_id=d.order_id,
                               merchant_id=d.merchant_id, amount_fen=d.amount_fen, day=self.day(event),
                               unwanted=d.unwanted)
        if d.unwanted:  # the payment bought nothing: it leaves every figure, on the day it was counted too
            await store.mark_payment_unwanted(tx.conn, d.payment_id)

    async def on_coupon_claimed(self, tx: Tx, event: Event[CouponClaimed]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.add_coupon_claim(tx.conn, coupon_id=d.coupon_id, merchant_id=d.merchant_id, user_id=d.user_id,
                                     template_id=d.template_id, campaign_id=d.campaign_id, day=self.day(event))

    async def on_coupon_redeemed(self, tx: Tx, event: Event[CouponRedeemed]) -> None:
        await self.log(tx, event)
        d = event.data
        await store.add_coupon_redemption(tx.conn, coupon_id=d.coupon_id, merchant_id=d.merchant_id,
                                          order_id=d.order_id, discount_fen=d.discount_fen, day=self.day(event))

    async def on_user_active(self, tx: Tx, event: Event[UserActive]) -> None:
        # The gateway states the visit's day itself (its "first visit of the day"), so that is the day used.
        await self.log(tx, event)
        d = event.data
        await store.add_visit(tx.conn, user_id=d.user_id, day=d.day, entry=d.entry, merchant_id=d.merchant_id)

    def handlers(self) -> dict[type[EventData], Handler]:
        """Every event in the catalogue: the typed ones above, the rest into event_log only."""
        typed: dict[type[EventData], Callable[..., Any]] = {
            OrderPlaced: self.on_order_placed, OrderConfirmed: self.on_order_confirmed,
            OrderCancelled: self.on_order_cancelled, PaymentConfirmed: self.on_payment_confirmed,
            PaymentRefunded: self.on_payment_refunded, CouponClaimed: self.on_coupon_claimed,
            CouponRedeemed: self.on_coupon_redeemed, UserActive: self.on_user_active,
        }
        out: dict[type[EventData], Handler] = {}
        for event_type in registered_types():
            try:
                model = model_for(event_type, 1)
            except UnknownEvent:  # a type that only exists in a later version: not ours to guess
                continue
            out[model] = typed.get(model, self.log)
        return out
