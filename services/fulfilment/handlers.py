"""One function per consumed event, each run once per event id inside the inbox's transaction; the table
HANDLERS is what app.py hands to the service skeleton."""

from __future__ import annotations

from services.fulfilment import flows, store
from shared.db import Tx
from shared.events.base import Event, EventData
from shared.events.catalog import StoreChanged
from shared.events.orders import OrderCancelled, OrderPaid, OrderPlaced, OrderRefundApproved, OrderShipped
from shared.inbox import Handler


async def on_store_changed(tx: Tx, event: Event[StoreChanged]) -> None:
    """Keep the local copy of the merchants' stores (pickup is offered at active ones)."""
    s = event.data
    await store.upsert_store(tx.conn, s.store_id, s.merchant_id, s.name, s.address, s.active)


async def on_order_placed(tx: Tx, event: Event[OrderPlaced]) -> None:
    """Remember the order's delivery as orders took it (a redelivered event changes nothing)."""
    placed = event.data
    await store.lock_order(tx.conn, placed.order_id)
    if placed.delivery is not None:
        await flows.record_delivery(tx, placed.order_id, placed.user_id, placed.merchant_id,
                                    placed.delivery.model_dump(mode="json"))
        if await store.take_early_payment(tx.conn, placed.order_id):
            await flows.mark_paid(tx, placed.order_id)


async def on_order_paid(tx: Tx, event: Event[OrderPaid]) -> None:
    await flows.mark_paid(tx, event.data.order_id)


async def on_order_shipped(tx: Tx, event: Event[OrderShipped]) -> None:
    shipped = event.data
    await flows.record_shipment(tx, shipped.order_id, shipped.carrier, shipped.tracking_no, event.occurred_at)


async def on_order_cancelled(tx: Tx, event: Event[OrderCancelled | OrderRefundApproved]) -> None:
    await flows.mark_cancelled(tx, event.data.order_id)


HANDLERS: dict[type[EventData], Handler] = {
    StoreChanged: on_store_changed,
    OrderPlaced: on_order_placed,
    OrderPaid: on_order_paid,
    OrderCancelled: on_order_cancelled,
    OrderRefundApproved: on_order_cancelled,
    OrderShipped: on_order_shipped,
}
