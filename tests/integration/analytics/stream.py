"""Building and publishing events as their producers would, for the analytics tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from shared.bus import Bus
from shared.events import Event, EventData
from shared.events.common import Line
from shared.events.gateway import UserActive
from shared.events.marketing import CouponClaimed, CouponRedeemed, CouponReleased
from shared.events.orders import Delivery, OrderCancelled, OrderConfirmed, OrderPlaced
from shared.events.payments import PaymentConfirmed, PaymentRefunded
from tests.support import eventually

PRODUCERS = {"order": "orders", "payment": "payments", "coupon": "marketing", "user": "gateway",
             "group_buy": "marketing", "review": "catalog", "stock": "catalog"}


def at(day: date, hour: int = 12) -> datetime:
    """A moment on a shop-local (Asia/Shanghai, UTC+8) calendar day."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def envelope(data: EventData, when: datetime, event_id: uuid.UUID | None = None) -> Event[Any]:
    return Event(id=event_id or uuid.uuid4(), type=data.TYPE, version=data.VERSION, occurred_at=when,
                 producer=PRODUCERS[data.TYPE.split(".")[0]], data=data)


def line(product_id: str, qty: int, unit_price_fen: int) -> Line:
    return Line(sku_id=f"sku-{product_id}", product_id=product_id, qty=qty, unit_price_fen=unit_price_fen,
                name=f"Product {product_id}")


def placed(order_id: str, user: str, merchant: str, entry: str, lines: list[Line],
           coupon_id: str | None = None, delivery: Delivery | None = None) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, user_id=user, merchant_id=merchant, lines=lines, entry=entry,  # type: ignore[arg-type]
                       subtotal_fen=sum(x.qty * x.unit_price_fen for x in lines), coupon_id=coupon_id,
                       delivery=delivery)


def confirmed(order_id: str, user: str, merchant: str, entry: str, subtotal_fen: int, discount_fen: int = 0,
              points_fen: int = 0) -> OrderConfirmed:
    return OrderConfirmed(order_id=order_id, user_id=user, merchant_id=merchant, subject=order_id,
                          subtotal_fen=subtotal_fen, discount_fen=discount_fen, points_fen=points_fen,
                          payable_fen=subtotal_fen - discount_fen - points_fen,
                          pay_by=datetime(2030, 1, 1, tzinfo=UTC), entry=entry)  # type: ignore[arg-type]


def paid(payment_id: str, order_id: str, user: str, merchant: str, method: str, amount_fen: int,
         installments: int | None = None) -> PaymentConfirmed:
    return PaymentConfirmed(payment_id=payment_id, order_id=order_id, user_id=user, merchant_id=merchant,
                            method=method, amount_fen=amount_fen, installments=installments,  # type: ignore[arg-type]
                            paid_at=datetime.now(UTC))


def refunded(refund_id: str, payment_id: str, order_id: str, user: str, merchant: str,
             amount_fen: int, *, unwanted: bool = False) -> PaymentRefunded:
    return PaymentRefunded(payment_id=payment_id, order_id=order_id, user_id=user, merchant_id=merchant,
                           refund_id=refund_id, amount_fen=amount_fen, total_refunded_fen=amount_fen, full=unwanted,
                           unwanted=unwanted)


def cancelled(order_id: str, user: str, merchant: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, user_id=user, merchant_id=merchant, reason="user_cancelled")


def claimed(coupon_id: str, user: str, merchant: str | None) -> CouponClaimed:
    return CouponClaimed(coupon_id=coupon_id, template_id="tpl-1", campaign_id="camp-1", user_id=user,
                         merchant_id=merchant)


def redeemed(coupon_id: str, order_id: str, user: str, merchant: str | None, discount_fen: int) -> CouponRedeemed:
    return CouponRedeemed(coupon_id=coupon_id, template_id="tpl-1", campaign_id="camp-1", order_id=order_id,
                          user_id=user, merchant_id=merchant, discount_fen=discount_fen)


def coupon_back(coupon_id: str, order_id: str, user: str) -> CouponReleased:
    return CouponReleased(coupon_id=coupon_id, order_id=order_id, user_id=user)


def active(user: str, day: date, entry: str, merchant: str | None) -> UserActive:
    return UserActive(user_id=user, day=day, entry=entry, merchant_id=merchant)  # type: ignore[arg-type]


async def open_bus(amqp_url: str, prefix: str) -> Bus:
    bus = Bus(amqp_url, prefix=prefix, service="test-producer")
    await bus.connect()
    return bus


async def publish_all(bus: Bus, events: list[Event[Any]]) -> None:
    for item in events:
        await bus.publish_event(item)


async def handled(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM analytics.inbox"))
    finally:
        await conn.close()


async def wait_handled(database_url: str, count: int) -> None:
    """Until the analytics inbox holds `count` distinct event ids (duplicates never add one)."""

    async def probe() -> bool:
        return await handled(database_url) >= count

    await eventually(probe, timeout=20)
