"""One function per consumed event, each run once per event id inside the inbox's transaction; the table
HANDLERS is what app.py hands to the service skeleton."""

from __future__ import annotations

from services.fulfilment import store
from shared.db import Tx
from shared.events.base import Event, EventData
from shared.events.catalog import StoreChanged
from shared.inbox import Handler


async def on_store_changed(tx: Tx, event: Event[StoreChanged]) -> None:
    """Keep the local copy of the merchants' stores (pickup is offered at active ones)."""
    s = event.data
    await store.upsert_store(tx.conn, s.store_id, s.merchant_id, s.name, s.address, s.active)


HANDLERS: dict[type[EventData], Handler] = {
    StoreChanged: on_store_changed,
}
