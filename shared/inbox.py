"""The consuming side: decode once, skip what was already handled, run the typed handler in a transaction.

The event id is recorded in the inbox in the same transaction as the handler's effects, and the message
is acknowledged only after that transaction commits. A redelivered event finds its id and is skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pydantic

from shared.bus import Bus, Poison
from shared.db import Database, Tx
from shared.events.base import Event, EventData, UnknownEvent
from shared.logging import correlation_id_var, event_id_var, get_logger

Handler = Callable[[Tx, Any], Awaitable[None]]  # (tx, Event[SomeEventData]) -> None

RECORD = "INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1"


class Consumer:
    """Routes each event type a service handles to its handler: `Consumer(db, bus).on(OrderPlaced, fn)`."""

    def __init__(self, db: Database, bus: Bus):
        self.db = db
        self.bus = bus
        self.handlers: dict[str, Handler] = {}
        self.log = get_logger(db.service, component="consumer")

    def on(self, model: type[EventData], handler: Handler) -> Consumer:
        self.handlers[model.TYPE] = handler
        return self

    async def start(self) -> None:
        await self.bus.consume(self.handlers.keys(), self.deliver)

    async def deliver(self, body: bytes) -> None:
        try:
            event = Event.from_json(body)
        except (UnknownEvent, pydantic.ValidationError, ValueError) as exc:
            raise Poison(f"undecodable event: {exc}") from exc
        handler = self.handlers.get(event.type)
        if handler is None:
            raise Poison(f"no handler for {event.type}")
        correlation = correlation_id_var.set(event.correlation_id)
        event_token = event_id_var.set(str(event.id))
        try:
            await self.handle(event, handler)
        finally:
            correlation_id_var.reset(correlation)
            event_id_var.reset(event_token)

    async def handle(self, event: Event[Any], handler: Handler) -> bool:
        """Run the handler once per event id; returns False when the event had been handled before."""
        async with self.db.transaction(event.correlation_id) as tx:
            first_time = await tx.conn.fetchval(RECORD, event.id, event.type)
            if not first_time:
                self.log.info("duplicate event skipped", event_type=event.type)
                return False
            await handler(tx, event)
        return True
