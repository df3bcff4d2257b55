"""One function per consumed event, each run once per event id inside the inbox's transaction (and each
message or alert has a unique key of its fact besides); the table HANDLERS is what app.py hands to the
skeleton. Nothing here calls Alipay or a webhook: rows are written, the jobs send them."""

from __future__ import annotations

from typing import Any

from services.notifications import flows, store
from services.notifications.deps import NotificationsDeps
from shared.db import Tx
from shared.events.base import Event
from shared.events.fulfilment import PickupReady
from shared.events.marketing import GroupBuySucceeded
from shared.events.orders import (
    OrderCancelled,
    OrderDelivered,
    OrderPaid,
    OrderPlaced,
    OrderRefundApproved,
    OrderRefunded,
    OrderRefundRequested,
    OrderShipped,
)
from shared.service import Handlers


async def _message(deps: NotificationsDeps, tx: Tx, event: Event[Any], kind: str, user_id: str, order_id: str,
                   fact: str, **facts: Any) -> None:
    settings = deps.settings
    await flows.queue_message(tx, settings.subscription_templates, settings.message_page, kind, user_id, order_id,
                              f"{kind}:{fact}", event.occurred_at, deps.clock.now(), **facts)


def _ready_after_s(deps: NotificationsDeps) -> float:
    return deps.settings.pickup_ready_minutes * 60


def placed_for_pickup(placed: OrderPlaced) -> bool:
    """Only a pickup order's order.placed matters here: a watch whose order.placed never came is never armed,
    as one that order.placed said is no pickup."""
    return placed.delivery is not None and placed.delivery.method == "pickup"


async def on_order_placed(deps: NotificationsDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    """A pickup order will need its goods made ready (the watch for a merchant who forgets)."""
    placed = event.data
    if placed.delivery is None or placed.delivery.method != "pickup":
        return
    await store.watch_placed(tx.conn, placed.order_id, placed.merchant_id, placed.delivery.store_id,
                             _ready_after_s(deps))


async def on_order_paid(deps: NotificationsDeps, tx: Tx, event: Event[OrderPaid]) -> None:
    paid = event.data
    await _message(deps, tx, event, "order_paid", paid.user_id, paid.order_id, paid.order_id,
                   amount_fen=paid.payable_fen)
    await flows.raise_alert(tx, "order_paid", paid.merchant_id, paid.order_id, f"order_paid:{paid.order_id}",
                            {"payable_fen": paid.payable_fen, "method": paid.method}, deps.clock.now())
    # A group-buy order held for its group cannot be made ready before it fills; an order said to be no pickup
    # needs no watch (an older order.paid does not say: order.placed will).
    if not paid.group_held and paid.delivery_method in (None, "pickup"):
        await store.watch_paid(tx.conn, paid.order_id, paid.merchant_id, event.occurred_at, _ready_after_s(deps))


async def on_group_buy_succeeded(deps: NotificationsDeps, tx: Tx, event: Event[GroupBuySucceeded]) -> None:
    """The group filled: its pickup orders are to be made ready from now (the watch of each is armed)."""
    for order_id in event.data.order_ids:
        await store.watch_paid(tx.conn, order_id, event.data.merchant_id, event.occurred_at, _ready_after_s(deps))


async def on_order_shipped(deps: NotificationsDeps, tx: Tx, event: Event[OrderShipped]) -> None:
    shipped = event.data
    await _message(deps, tx, event, "order_shipped", shipped.user_id, shipped.order_id, shipped.order_id,
                   carrier=shipped.carrier, tracking_no=shipped.tracking_no)


async def on_pickup_ready(deps: NotificationsDeps, tx: Tx, event: Event[PickupReady]) -> None:
    ready = event.data
    await _message(deps, tx, event, "pickup_ready", ready.user_id, ready.order_id, ready.order_id)
    await store.close_watch(tx.conn, ready.order_id, ready.merchant_id)


async def on_order_delivered(deps: NotificationsDeps, tx: Tx, event: Event[OrderDelivered]) -> None:
    delivered = event.data
    await _message(deps, tx, event, "order_delivered", delivered.user_id, delivered.order_id, delivered.order_id)


async def on_order_refunded(deps: NotificationsDeps, tx: Tx, event: Event[OrderRefunded]) -> None:
    refunded = event.data  # one message per refund (an order may be refunded in parts)
    await _message(deps, tx, event, "order_refunded", refunded.user_id, refunded.order_id, refunded.refund_id,
                   amount_fen=refunded.amount_fen)


async def on_refund_requested(deps: NotificationsDeps, tx: Tx, event: Event[OrderRefundRequested]) -> None:
    asked = event.data
    await flows.raise_alert(tx, "refund_requested", asked.merchant_id, asked.order_id,
                            f"refund_requested:{asked.refund_id}",
                            {"refund_id": asked.refund_id, "amount_fen": asked.amount_fen, "reason": asked.reason},
                            deps.clock.now())


async def on_order_cancelled(deps: NotificationsDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    await store.close_watch(tx.conn, event.data.order_id, event.data.merchant_id)


async def on_refund_approved(deps: NotificationsDeps, tx: Tx, event: Event[OrderRefundApproved]) -> None:
    """A refunded pickup order is not made ready: no alert for it."""
    await store.close_watch(tx.conn, event.data.order_id, event.data.merchant_id)


HANDLERS = (Handlers[NotificationsDeps]()
            .on(OrderPlaced, on_order_placed, needs=placed_for_pickup)
            .on(OrderPaid, on_order_paid)
            .on(OrderShipped, on_order_shipped)
            .on(PickupReady, on_pickup_ready)
            .on(OrderDelivered, on_order_delivered)
            .on(OrderRefunded, on_order_refunded)
            .on(OrderRefundRequested, on_refund_requested)
            .on(OrderCancelled, on_order_cancelled)
            .on(OrderRefundApproved, on_refund_approved)
            .on(GroupBuySucceeded, on_group_buy_succeeded))
