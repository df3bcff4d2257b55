"""The consuming side: decode once, skip what was already handled, run the typed handler in a transaction.

The event id is recorded in the inbox in the same transaction as the handler's effects, and the message
is acknowledged only after that transaction commits. A redelivered event finds its id and is skipped.

Messages that wait together are handled in one transaction (shared.bus hands them over in batches): their
ids go into the inbox in one statement, then each handler runs on the batch's connection with no savepoint,
and the batch commits once (one commit, one WAL flush for the batch). Should a handler fail, the whole batch is
rolled back (nothing of the failing handler may commit) and done again in one transaction with each handler
in a SAVEPOINT of its own: one that fails there is rolled back to it and its inbox row removed, so it alone is
retried or parked, while the others commit together. Should the batch as a whole fail (its commit, a lost
connection, a deadlock between two batches), each event is handled again in a transaction of its own, as if
it had come alone: a batch never costs a message an attempt it would not have used alone. A failing event
thus costs its batch a second run; the clean path costs no round trip per event. The redo stays cheap below
64 events: PostgreSQL tracks a transaction's first 64 subtransactions cheaply, more spill to disk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pydantic
from aiormq.abc import DeliveredMessage

from shared.bus import Bus, Poison
from shared.db import Database, Tx
from shared.events.base import Event, EventData, UnknownEvent
from shared.logging import correlation_id_var, event_id_var, get_logger

Handler = Callable[[Tx, Any], Awaitable[None]]  # (tx, Event[SomeEventData]) -> None
Needs = Callable[[Any], bool]  # (SomeEventData) -> whether the event asks anything of the service

RECORD = "INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1"
# A batch's ids in one statement, in a fixed order (two batches with common ids never deadlock): the new ones.
RECORD_MANY = """
INSERT INTO inbox (event_id, event_type)
SELECT id, type FROM unnest($1::uuid[], $2::text[]) AS e (id, type) ORDER BY id
ON CONFLICT DO NOTHING RETURNING event_id
"""
FORGET = "DELETE FROM inbox WHERE event_id = $1"

Work = tuple[int, DeliveredMessage, Event[Any], Handler]  # (position in the batch, message, event, handler)


class Consumer:
    """Routes each event type a service handles to its handler: `Consumer(db, bus).on(OrderPlaced, fn)`."""

    def __init__(self, db: Database, bus: Bus):
        self.db = db
        self.bus = bus
        self.handlers: dict[str, Handler] = {}
        self.needs: dict[str, Needs] = {}  # types whose events may ask nothing of the service (see on)
        self.retired: set[str] = set()  # types no longer consumed (see retire)
        self.log = get_logger(db.service, component="consumer")

    def on(self, model: type[EventData], handler: Handler, needs: Needs | None = None) -> Consumer:
        """`needs(event.data)` false: the event asks nothing of this service (the handler would do nothing
        with it, whatever came before), so it is acknowledged without a transaction or an inbox row."""
        self.handlers[model.TYPE] = handler
        if needs is not None:
            self.needs[model.TYPE] = needs
        return self

    def retire(self, model: type[EventData]) -> Consumer:
        """A type an earlier version consumed and this one does not: its binding is removed at start, and the
        copies queued before that are acknowledged unhandled (not parked for want of a handler)."""
        self.retired.add(model.TYPE)
        return self

    async def start(self) -> None:
        await self.bus.consume(self.handlers.keys(), self.deliver, self.retired)

    def decode(self, body: bytes) -> tuple[Event[Any], Handler]:
        try:
            event = Event.from_json(body)
        except (UnknownEvent, pydantic.ValidationError, ValueError) as exc:
            raise Poison(f"undecodable event: {exc}") from exc
        handler = self.handlers.get(event.type)
        if handler is None:
            raise Poison(f"no handler for {event.type}")
        return event, handler

    async def deliver(self, messages: list[DeliveredMessage]) -> list[Exception | None]:
        """Handle a batch (shared.bus.DeliverBatch): one outcome per message, None when it is done."""
        outcomes: list[Exception | None] = [None] * len(messages)
        work: list[Work] = []
        for i, message in enumerate(messages):
            if message.header.properties.message_type in self.retired:
                continue  # queued before its binding was removed: done (None), no transaction for it
            try:
                event, handler = self.decode(message.body)
            except Poison as exc:
                outcomes[i] = exc
                continue
            needs = self.needs.get(event.type)
            if needs is None or needs(event.data):
                work.append((i, message, event, handler))
        if len(work) > 1:
            try:
                return await self._together(work, outcomes)
            except _HandlerFailed as failed:
                self.log.info("an event of the batch failed; the batch is redone with a savepoint per event",
                              events=len(work), error=repr(failed.__cause__))
                try:
                    return await self._isolated(work, outcomes)
                except Exception as exc:  # noqa: BLE001 - the batch failed as a whole: each on its own
                    self.log.info("batch failed; handling its events one by one", events=len(work), error=repr(exc))
            except Exception as exc:  # noqa: BLE001 - the batch failed as a whole: each on its own, as if alone
                self.log.info("batch failed; handling its events one by one", events=len(work), error=repr(exc))
        for i, message, event, handler in work:
            outcomes[i] = await self._alone(message, event, handler)
        return outcomes

    async def _together(self, work: list[Work], outcomes: list[Exception | None]) -> list[Exception | None]:
        """The batch in one transaction, no savepoint: every handler succeeds and the batch commits, or the first
        that fails rolls the whole batch back (raised as _HandlerFailed)."""
        async with self.db.transaction() as batch:
            fresh = await _record(batch, work)
            for _, message, event, handler in work:
                if not self._first_time(event, fresh):
                    continue
                tx = Tx(batch.conn, batch.producer, event.correlation_id)
                try:
                    with self.bus.consuming_span(message), _event_context(event):
                        await handler(tx, event)
                except Exception as exc:
                    raise _HandlerFailed from exc
                batch.emitted += tx.emitted  # committed with the batch: the relay and the waiters are woken after it
                batch.changes |= tx.changes
        return outcomes

    async def _isolated(self, work: list[Work], outcomes: list[Exception | None]) -> list[Exception | None]:
        """The batch in one transaction, each handler in a savepoint: a failing one is rolled back alone."""
        async with self.db.transaction() as batch:
            fresh = await _record(batch, work)
            savepoint = "SAVEPOINT event"
            for i, message, event, handler in work:
                if not self._first_time(event, fresh):
                    continue
                await batch.conn.execute(savepoint)
                savepoint = "RELEASE SAVEPOINT event; SAVEPOINT event"  # one round trip an event
                outcomes[i] = await self._in_savepoint(batch, message, event, handler)
        return outcomes

    def _first_time(self, event: Event[Any], fresh: set[Any]) -> bool:
        """Whether the batch's insert recorded this event (else: handled before, or twice in this batch)."""
        if event.id not in fresh:
            self.log.info("duplicate event skipped", event_type=event.type)
            return False
        fresh.discard(event.id)
        return True

    async def _in_savepoint(self, batch: Tx, message: DeliveredMessage, event: Event[Any],
                            handler: Handler) -> Exception | None:
        """The handler after the caller's `SAVEPOINT event`; on failure, rolled back to it and the event's inbox
        row removed, so that its retry is not taken for a duplicate."""
        tx = Tx(batch.conn, batch.producer, event.correlation_id)
        try:
            with self.bus.consuming_span(message), _event_context(event):
                await handler(tx, event)
        except Exception as exc:  # noqa: BLE001 - this event's failure, settled by the bus after the commit
            # Raises if the transaction is gone (connection lost): then the batch fails as a whole.
            await batch.conn.execute("ROLLBACK TO SAVEPOINT event")
            await batch.conn.execute(FORGET, event.id)
            return exc
        batch.emitted += tx.emitted  # committed with the batch: the relay and the waiters are woken after it
        batch.changes |= tx.changes
        return None

    async def _alone(self, message: DeliveredMessage, event: Event[Any], handler: Handler) -> Exception | None:
        try:
            with self.bus.consuming_span(message), _event_context(event):
                await self.handle(event, handler)
        except Exception as exc:  # noqa: BLE001 - settled by the bus (retried, or parked)
            return exc
        return None

    async def handle(self, event: Event[Any], handler: Handler) -> bool:
        """Run the handler once per event id, in a transaction of its own; False when it had been handled."""
        async with self.db.transaction(event.correlation_id) as tx:
            return await self._once(tx, event, handler)

    async def _once(self, tx: Tx, event: Event[Any], handler: Handler) -> bool:
        first_time = await tx.conn.fetchval(RECORD, event.id, event.type)
        if not first_time:
            self.log.info("duplicate event skipped", event_type=event.type)
            return False
        await handler(tx, event)
        return True


class _HandlerFailed(Exception):
    """A handler of a batch run without savepoints failed (its exception is the cause): the batch rolls back."""


async def _record(batch: Tx, work: list[Work]) -> set[Any]:
    """Record a batch's event ids in the inbox: the ids that were new."""
    return {r["event_id"] for r in await batch.conn.fetch(RECORD_MANY, [w[2].id for w in work],
                                                          [w[2].type for w in work])}


@contextmanager
def _event_context(event: Event[Any]) -> Iterator[None]:
    """The event's correlation and event ids in the logging context while it is handled."""
    correlation, event_token = correlation_id_var.set(event.correlation_id), event_id_var.set(str(event.id))
    try:
        yield
    finally:
        correlation_id_var.reset(correlation)
        event_id_var.reset(event_token)
