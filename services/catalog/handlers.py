"""One function per consumed event, each calling a stock flow; the inbox runs each once per event id inside
its transaction."""

from __future__ import annotations

from services.catalog.deps import CatalogDeps
from services.catalog.flows import stock
from shared.db import Tx
from shared.events.base import Event
from shared.events.orders import OrderCancelled, OrderPlaced, OrderRefunded
from shared.events.payments import PaymentConfirmed
from shared.service import Handlers


async def on_order_placed(deps: CatalogDeps, tx: Tx, event: Event[OrderPlaced]) -> None:
    await stock.reserve_order(tx, event.data, deps.settings.max_unpaid_units_per_sku)


async def on_order_cancelled(deps: CatalogDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    await stock.release_order(tx, event.data.order_id, event.data.user_id)


async def on_payment_confirmed(deps: CatalogDeps, tx: Tx, event: Event[PaymentConfirmed]) -> None:
    await stock.sell_order(tx, event.data.order_id)


async def on_order_refunded(deps: CatalogDeps, tx: Tx, event: Event[OrderRefunded]) -> None:
    await stock.restock_refund(tx, event.data)


HANDLERS = (Handlers[CatalogDeps]()
            .on(OrderPlaced, on_order_placed)
            .on(OrderCancelled, on_order_cancelled)
            .on(PaymentConfirmed, on_payment_confirmed)
            .on(OrderRefunded, on_order_refunded))
