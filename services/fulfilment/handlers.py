"""One function per consumed event, each run once per event id inside the inbox's transaction; the table
HANDLERS is what app.py hands to the service skeleton."""

from __future__ import annotations

from services.fulfilment import flows, store
from services.fulfilment.deps import FulfilmentDeps
from shared.db import Tx
from shared.events.base import Event
from shared.events.catalog import SkuChanged, StoreChanged
from shared.events.marketing import GroupBuyFailed, GroupBuySucceeded
from shared.events.orders import OrderCancelled, OrderPaid, OrderPlaced, OrderRefundApproved, OrderShipped
from shared.service import Handlers


async def on_store_changed(deps: FulfilmentDeps, tx: Tx, event: Event[StoreChanged]) -> None:
    """Keep the local copy of the merchants' stores (pickup is offered at active ones)."""
    s = event.data
    await store.upsert_store(tx.conn, s.store_id, s.merchant_id, s.name, s.address, s.active)


async def on_sku_changed(deps: FulfilmentDeps, tx: Tx, event: Event[SkuChanged]) -> None:
    """Keep each SKU's product (which stores hand it over) and weight (freight by weight)."""
    s = event.data
    await store.upsert_sku(tx.conn, s.sku_id, s.product_id, s.merchant_id, s.weight_g, s.revision)


def placed_with_delivery(placed: OrderPlaced) -> bool:
    """An order without delivery (goods that need none) asks nothing of fulfilment."""
    return placed.delivery is not None


def paid_with_delivery(paid: OrderPaid) -> bool:
    """Nor does its payment (an older order.paid does not say: it may have one)."""
    return paid.delivery_method != "none"


async def on_order_placed(deps: FulfilmentDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    """Remember the order's delivery as orders took it (a redelivered event changes nothing)."""
    placed = event.data
    if placed.delivery is None:
        return
    await store.lock_order(tx.conn, placed.order_id)
    await flows.record_delivery(tx, placed.order_id, placed.user_id, placed.merchant_id,
                                placed.delivery.model_dump(mode="json"))
    held = await store.take_early_payment(tx.conn, placed.order_id)
    if held is not None:
        await flows.mark_paid(tx, placed.order_id, held)
    early = await store.take_early_shipment(tx.conn, placed.order_id)
    if early is not None:
        await flows.record_shipment(tx, placed.order_id, early["carrier"], early["tracking_no"],
                                    early["shipped_at"], deps.clock.now())


async def on_order_paid(deps: FulfilmentDeps, tx: Tx, event: Event[OrderPaid]) -> None:
    if paid_with_delivery(event.data):  # else nothing to draw, and no early payment to note for order.placed
        await flows.mark_paid(tx, event.data.order_id, event.data.group_held)


async def on_group_buy_succeeded(deps: FulfilmentDeps, tx: Tx, event: Event[GroupBuySucceeded]) -> None:
    for order_id in sorted(event.data.order_ids):  # one lock order: no deadlock with another handler
        await flows.release_group(tx, order_id)


async def on_group_buy_failed(deps: FulfilmentDeps, tx: Tx, event: Event[GroupBuyFailed]) -> None:
    """The group failed: its orders are cancelled or refunded in full (orders' order.cancelled or
    order.refund_approved follow); their pickups close now, so none ever becomes verifiable."""
    for order_id in sorted(event.data.order_ids):
        await flows.mark_cancelled(tx, order_id)


async def on_order_shipped(deps: FulfilmentDeps, tx: Tx, event: Event[OrderShipped]) -> None:
    shipped = event.data
    await flows.record_shipment(tx, shipped.order_id, shipped.carrier, shipped.tracking_no, event.occurred_at,
                                deps.clock.now())


async def on_order_cancelled(deps: FulfilmentDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    await flows.mark_cancelled(tx, event.data.order_id)


async def on_refund_approved(deps: FulfilmentDeps, tx: Tx, event: Event[OrderRefundApproved]) -> None:
    """A refunded order is not picked up: its code closes, as for a cancelled one. A partial refund leaves the
    rest of the order to pick up, and a payment the order never kept changes nothing of it."""
    if event.data.closes_order and not event.data.unwanted:
        await flows.mark_cancelled(tx, event.data.order_id)


HANDLERS = (Handlers[FulfilmentDeps]()
            .on(StoreChanged, on_store_changed)
            .on(SkuChanged, on_sku_changed)
            .on(OrderPlaced, on_order_placed, needs=placed_with_delivery)
            .on(OrderPaid, on_order_paid, needs=paid_with_delivery)
            .on(OrderCancelled, on_order_cancelled)
            .on(OrderRefundApproved, on_refund_approved)
            .on(OrderShipped, on_order_shipped)
            .on(GroupBuySucceeded, on_group_buy_succeeded)
            .on(GroupBuyFailed, on_group_buy_failed))
