"""One function per consumed event, each calling a flow (stock, reviews, platform); the inbox runs each once
per event id inside its transaction."""

from __future__ import annotations

from services.catalog.deps import CatalogDeps
from services.catalog.flows import platform, reviews, stock
from shared.db import Tx
from shared.events.base import Event
from shared.events.gateway import MerchantApproved, MerchantReinstated, MerchantSuspended
from shared.events.orders import (
    OrderCancelled,
    OrderCompleted,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderReturnReceived,
)
from shared.events.payments import PaymentConfirmed
from shared.service import Handlers


async def on_order_placed(deps: CatalogDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    await stock.reserve_order(tx, event.data, deps.settings.max_unpaid_units_per_sku)


async def on_order_cancelled(deps: CatalogDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    await stock.release_order(tx, event.data.order_id, event.data.user_id)


async def on_order_paid(deps: CatalogDeps, tx: Tx, event: Event[OrderPaid]) -> None:
    # order.paid, not payment.confirmed: only orders knows whether a payment bought the order. A payment that
    # comes after the pay-by deadline cancelled the order (or of the wrong amount) is refunded by orders, and
    # its payment.confirmed may reach us before that order.cancelled: the units must not be sold then.
    await stock.sell_order(tx, event.data.order_id)


async def on_order_refunded(deps: CatalogDeps, tx: Tx, event: Event[OrderRefunded]) -> None:
    await stock.restock_refund(tx, event.data)
    await reviews.note_refunded(tx, event.data)


async def on_order_completed(deps: CatalogDeps, tx: Tx, event: Event[OrderCompleted]) -> None:
    await reviews.note_completed(tx, event.data, event.occurred_at)


async def on_return_received(deps: CatalogDeps, tx: Tx, event: Event[OrderReturnReceived]) -> None:
    d = event.data
    await stock.restock_units(tx, d.order_id, d.lines)


async def on_merchant_approved(deps: CatalogDeps, tx: Tx, event: Event[MerchantApproved]) -> None:
    await platform.add_merchant(tx, event.data.merchant_id, event.data.name, event.data.licence_no)


async def on_merchant_suspended(deps: CatalogDeps, tx: Tx, event: Event[MerchantSuspended]) -> None:
    await platform.suspend_merchant(tx, event.data.merchant_id)


async def on_merchant_reinstated(deps: CatalogDeps, tx: Tx, event: Event[MerchantReinstated]) -> None:
    await platform.reinstate_merchant(tx, event.data.merchant_id)


HANDLERS = (Handlers[CatalogDeps]()
            .on(OrderPlaced, on_order_placed)
            .on(OrderCancelled, on_order_cancelled)
            .on(OrderPaid, on_order_paid)
            .retire(PaymentConfirmed)  # stock is sold on order.paid
            .on(OrderRefunded, on_order_refunded)
            .on(OrderCompleted, on_order_completed)
            .on(OrderReturnReceived, on_return_received)
            .on(MerchantApproved, on_merchant_approved)
            .on(MerchantSuspended, on_merchant_suspended)
            .on(MerchantReinstated, on_merchant_reinstated))
