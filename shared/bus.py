"""RabbitMQ: the `mall.events` topic exchange, one quorum queue per consuming service, retries and parking.

Topology for service `s` (all names carry the configured prefix):
  exchange `mall.events` (topic) --routing key = event type--> quorum queue `s`
  a failed message goes to `s.retry.<ms>` (TTL, dead-letters back into `s`) with growing delays,
  and after `max_attempts` it is parked in `s.dead` with its error, for an operator to list and replay.
A message is acknowledged only after its handler's transaction committed, or after it was safely
re-published to a retry or dead-letter queue (with publisher confirms), so nothing is lost. Settled messages
are acknowledged together, with one `multiple` ack up to the last of a run of settled deliveries (never past
one still in hand), and a batch of events is published at once, every confirm awaited together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from aiormq import spec

from shared.events.base import Event
from shared.logging import get_logger
from shared.refusal import Refusal
from shared.tracing import TRACEPARENT, consuming

EXCHANGE = "mall.events"
ATTEMPTS_HEADER = "x-mall-attempts"
ERROR_HEADER = "x-mall-error"
ROUTING_KEY_HEADER = "x-mall-routing-key"

# Handles a batch of messages (up to `batch_size`, those already waiting: never held back for more): one
# outcome per message, in order. None: done (acknowledged); Poison or a business Refusal: parked now; any
# other exception: retried later.
DeliverBatch = Callable[[list[AbstractIncomingMessage]], Awaitable[list[Exception | None]]]


class Poison(Exception):
    """A message that can never be handled (undecodable, unknown type): parked at once, not retried."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event to publish to the exchange (`Bus.publish_many`)."""

    routing_key: str
    body: bytes
    message_id: str
    correlation_id: str | None = None
    producer: str | None = None
    trace_context: str | None = None  # the emitting span's W3C `traceparent`, sent as that header


class Deliveries:
    """The delivery tags of one consuming channel, in the order the broker delivered them, until settled.

    A `multiple` ack settles every delivery up to its tag on the channel, so it may only name a tag when all
    the tags before it are settled too: two workers handle batches side by side and finish in any order."""

    def __init__(self, channel: aiormq.abc.AbstractChannel):
        self.channel = channel
        self.unsettled: deque[int] = deque()  # delivered, in order, not yet covered by an ack or handed back
        self.to_ack: set[int] = set()  # of those, the ones done with (handled, or re-routed to retry or park)
        self.handed_back: set[int] = set()  # of those, the ones nacked back to the queue (already settled)

    def ack_point(self) -> int | None:
        """The tag to ack with `multiple`: the last to ack of the run of settled deliveries at the front, if any.
        Never a handed-back tag: acking one the broker has already taken back would close the channel."""
        last = None
        while self.unsettled:
            tag = self.unsettled[0]
            if tag in self.to_ack:
                self.to_ack.discard(tag)
                last = tag
            elif tag in self.handed_back:
                self.handed_back.discard(tag)
            else:
                break
            self.unsettled.popleft()
        return last


def queue_names(prefix: str, service: str, delays_ms: Iterable[int]) -> dict[str, Any]:
    main = f"{prefix}{service}"
    return {"main": main, "dead": f"{main}.dead", "retry": [f"{main}.retry.{ms}" for ms in delays_ms]}


def every_queue(names: Mapping[str, Any]) -> list[str]:
    """All the queues of one service's `queue_names`: its main queue, its dead letters, its retry queues."""
    return [names["main"], names["dead"], *names["retry"]]


class Bus:
    """One robust connection: a confirming publisher channel and, optionally, one consuming channel."""

    def __init__(self, url: str, *, prefix: str = "", service: str = "mall", prefetch: int = 64,
                 retry_delays_ms: Iterable[int] = (1_000, 5_000, 30_000), max_attempts: int = 5,
                 batch_size: int = 32, workers: int = 2):
        self.url = url
        self.prefix = prefix
        self.service = service
        self.prefetch = prefetch
        self.batch_size = max(1, batch_size)
        self.workers = max(1, workers)
        self.retry_delays_ms = list(retry_delays_ms)
        self.max_attempts = max_attempts
        self.exchange_name = f"{prefix}{EXCHANGE}"
        self.log = get_logger(service, component="bus")
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._consume_channel: AbstractRobustChannel | None = None
        self._consumer_tag: str | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        # taken, not yet handled, each with the deliveries of the channel it came on
        self._waiting: asyncio.Queue[tuple[AbstractIncomingMessage, Deliveries]] = asyncio.Queue()
        self._in_hand = 0  # messages of the batches being handled
        self._workers: list[asyncio.Task[None]] = []
        self._deliveries: Deliveries | None = None  # of the current consuming channel (a new one after a reconnect)
        self._ack_lock = asyncio.Lock()  # acks leave in the order they were worked out: their tags only grow

    @property
    def names(self) -> dict[str, Any]:
        return queue_names(self.prefix, self.service, self.retry_delays_ms)

    async def connect(self) -> None:
        self.connection = await aio_pika.connect_robust(self.url, client_properties={
            "connection_name": f"mall-{self.prefix}{self.service}"})
        self._publish_channel = await self.connection.channel(publisher_confirms=True)
        self._exchange = await self._publish_channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    @property
    def consuming(self) -> bool:
        """Whether the broker may still deliver new messages to this process (False once a stop began)."""
        return self._consumer_tag is not None

    @property
    def handling(self) -> int:
        """Messages taken from the queue whose handling has not finished (up to `prefetch` at once)."""
        return self._waiting.qsize() + self._in_hand

    async def publish(self, routing_key: str, body: bytes, *, message_id: str,
                      correlation_id: str | None = None, producer: str | None = None,
                      trace_context: str | None = None) -> None:
        """Publish one event and wait for the broker's confirm (raises if the broker refuses or is gone).
        `trace_context`: the emitting span's W3C `traceparent`, sent as that header (shared.tracing)."""
        [outcome] = await self.publish_many([Outgoing(routing_key, body, message_id, correlation_id, producer,
                                                      trace_context)])
        if outcome is not None:
            raise outcome

    async def publish_many(self, messages: Sequence[Outgoing]) -> list[BaseException | None]:
        """Publish all of `messages` at once, in order, and wait for all their confirms together: one outcome per
        message, None when the broker confirmed it, else why not (a nack, the channel lost)."""
        assert self._publish_channel is not None, "connect() first"
        channel = cast(aiormq.Channel, await self._publish_channel.get_underlay_channel())  # the one kind there is
        # wait=False: queue the frames without waiting for each to be written; the confirm is what counts.
        results = await asyncio.gather(*(channel.basic_publish(
            m.body, exchange=self.exchange_name, routing_key=m.routing_key, mandatory=False, wait=False,
            properties=spec.Basic.Properties(
                content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
                message_id=m.message_id, message_type=m.routing_key, correlation_id=m.correlation_id,
                app_id=m.producer or self.service, headers={TRACEPARENT: m.trace_context} if m.trace_context else {}))
            for m in messages), return_exceptions=True)
        return [result if isinstance(result, BaseException) else None for result in results]

    async def publish_event(self, event: Event[Any]) -> None:
        await self.publish(event.type, event.to_json(), message_id=str(event.id),
                           correlation_id=event.correlation_id, producer=event.producer)

    async def _publish_to_queue(self, queue: str, incoming: AbstractIncomingMessage,
                                headers: dict[str, Any]) -> None:
        assert self._publish_channel is not None
        message = aio_pika.Message(
            incoming.body, content_type=incoming.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=incoming.message_id, type=incoming.type, correlation_id=incoming.correlation_id,
            app_id=incoming.app_id, headers={**(incoming.headers or {}), **headers})
        await self._publish_channel.default_exchange.publish(message, routing_key=queue)

    async def declare_topology(self, routing_keys: Iterable[str], retired: Iterable[str] = ()) -> None:
        """The service's queue, its retry queues and its dead-letter queue (all idempotent). The queue is bound to
        `routing_keys` and unbound from `retired`, the keys an earlier version bound and this one no longer
        consumes: a binding outlives the code that made it, and every message it routes costs a delivery."""
        assert self._publish_channel is not None
        names = self.names
        channel = self._publish_channel
        queue = await channel.declare_queue(names["main"], durable=True, arguments={"x-queue-type": "quorum"})
        keys = set(routing_keys)
        for key in sorted(keys):
            await queue.bind(self.exchange_name, routing_key=key)
        for key in sorted(set(retired) - keys):
            await queue.unbind(self.exchange_name, routing_key=key)  # a binding that is not there: a no-op
        for ms, retry in zip(self.retry_delays_ms, names["retry"], strict=True):
            # Classic queues: every message in one retry queue waits the same time, so the head expires first.
            await channel.declare_queue(retry, durable=True, arguments={
                "x-message-ttl": ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": names["main"]})
        await channel.declare_queue(names["dead"], durable=True, arguments={"x-queue-type": "quorum"})

    async def consume(self, routing_keys: Iterable[str], deliver: DeliverBatch, retired: Iterable[str] = ()) -> None:
        """Start consuming the service's queue (bound to `routing_keys`, unbound from `retired`): `workers` tasks
        each hand `deliver` the messages waiting, up to `batch_size` at a time, and settle each by its outcome
        (see DeliverBatch)."""
        assert self.connection is not None
        await self.declare_topology(routing_keys, retired)
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await self._consume_channel.declare_queue(
            self.names["main"], durable=True, arguments={"x-queue-type": "quorum"})
        self._workers = [asyncio.create_task(self._work(deliver), name=f"{self.service}-consumer-{i}")
                         for i in range(self.workers)]

        async def on_message(message: AbstractIncomingMessage) -> None:
            # Deliveries arrive here in the order of their tags (aiormq and aio-pika hand each over in a task of
            # its own, started in order), so a tag is noted before any later one can be settled.
            channel = message.channel
            if self._deliveries is None or self._deliveries.channel is not channel:
                self._deliveries = Deliveries(channel)  # a new channel numbers its deliveries from 1 again
            self._deliveries.unsettled.append(cast(int, message.delivery_tag))
            self._waiting.put_nowait((message, self._deliveries))

        self._consumer_tag = await self._queue.consume(on_message)

    async def _work(self, deliver: DeliverBatch) -> None:
        while True:
            batch = [await self._waiting.get()]
            while len(batch) < self.batch_size and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
            self._in_hand += len(batch)
            try:  # a stop waits for this (stop_consuming); cancelled, its messages are redelivered
                await self._handle(batch, deliver)
            finally:
                self._in_hand -= len(batch)

    async def _handle(self, batch: list[tuple[AbstractIncomingMessage, Deliveries]], deliver: DeliverBatch) -> None:
        messages = [message for message, _ in batch]
        try:
            outcomes = await deliver(messages)
        except Exception as exc:  # noqa: BLE001 - a failure of the whole batch: every message retried
            outcomes = [exc] * len(batch)
        for (message, deliveries), outcome in zip(batch, outcomes, strict=True):
            tag = cast(int, message.delivery_tag)
            # a business "no" stays a no however often it is retried
            if outcome is None or await self._settle_failure(
                    message, outcome, park=isinstance(outcome, Poison | Refusal)):
                deliveries.to_ack.add(tag)
            else:
                deliveries.handed_back.add(tag)
        # Usually one channel; after a reconnect, messages of the old one may still be in hand.
        for deliveries in {id(d): d for _, d in batch}.values():
            await self._ack(deliveries)

    def consuming_span(self, message: AbstractIncomingMessage) -> AbstractContextManager[None]:
        """The tracing span of handling one message (shared.tracing.consuming)."""
        return consuming(self.service, message.headers, event_type=message.type, message_id=message.message_id,
                         queue=f"{self.prefix}{self.service}")

    async def _settle_failure(self, message: AbstractIncomingMessage, exc: Exception, *, park: bool) -> bool:
        """Re-route a failed message to a retry queue or park it: True once that is confirmed (then it is to be
        acked); False when it could not be and the message was handed back to the queue instead."""
        attempts = int(cast("int | str", (message.headers or {}).get(ATTEMPTS_HEADER, 0))) + 1  # we wrote it
        code = exc.code if isinstance(exc, Refusal) else None  # the operator sees which "no" parked it
        error = f"{type(exc).__name__}{f' {code}' if code else ''}: {exc}"[:2000]
        headers = {ATTEMPTS_HEADER: attempts, ERROR_HEADER: error,
                   ROUTING_KEY_HEADER: message.routing_key or message.type or ""}
        names = self.names
        if park or attempts >= self.max_attempts or not names["retry"]:
            target = names["dead"]
            self.log.error("message parked", message_id=message.message_id, attempts=attempts, error=error,
                           code=code)
        else:
            target = names["retry"][min(attempts, len(names["retry"])) - 1]
            self.log.warning("message retried", message_id=message.message_id, attempts=attempts,
                             error=error, retry_queue=target)
        try:
            await self._publish_to_queue(target, message, headers)
        except Exception:  # noqa: BLE001 - broker gone: handed back to the queue, so a later ack cannot cover it
            self.log.exception("could not re-route a failed message; it will be redelivered")
            with contextlib.suppress(Exception):  # the channel is gone too: the broker redelivers it anyway
                await message.nack(requeue=True)
            return False
        return True

    async def _ack(self, deliveries: Deliveries) -> None:
        """Acknowledge the run of settled deliveries at the front with one `multiple` ack (those settled behind a
        delivery still in hand wait for the batch that holds it)."""
        async with self._ack_lock:
            last = deliveries.ack_point()
            if last is None:
                return
            try:
                await deliveries.channel.basic_ack(last, multiple=True)
            except Exception:  # noqa: BLE001 - channel lost: the broker redelivers, the inbox skips them
                self.log.warning("ack failed; messages will be redelivered", delivery_tag=last)

    async def stop_consuming(self, timeout: float = 10.0) -> None:
        """Stop taking new messages and let the ones taken finish (graceful shutdown)."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:  # noqa: BLE001
                pass
            self._consumer_tag = None
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while self.handling and self._workers and loop.time() < until:
            await asyncio.sleep(0.02)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    async def close(self) -> None:
        await self.stop_consuming()
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    async def delete_topology(self) -> None:
        """Remove this service's queues (tests clean up after themselves)."""
        assert self.connection is not None
        channel = await self.connection.channel()
        for name in every_queue(self.names):
            await channel.queue_delete(name)
        await channel.close()


async def parked_messages(bus: Bus, limit: int = 100) -> list[dict[str, Any]]:
    """List parked messages without removing them (they are returned to the queue)."""
    assert bus.connection is not None
    channel = await bus.connection.channel()
    queue = await channel.declare_queue(bus.names["dead"], durable=True, arguments={"x-queue-type": "quorum"})
    seen: list[dict[str, Any]] = []
    held: list[AbstractIncomingMessage] = []
    for _ in range(min(limit, queue.declaration_result.message_count or 0)):
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        held.append(message)
        headers = message.headers or {}
        seen.append({"message_id": message.message_id, "type": message.type,
                     "attempts": headers.get(ATTEMPTS_HEADER), "error": headers.get(ERROR_HEADER),
                     "body": message.body.decode(errors="replace")})
    for message in held:
        await message.nack(requeue=True)
    await channel.close()
    return seen


async def replay_parked(bus: Bus, message_ids: set[str] | None = None) -> int:
    """Move parked messages (all, or the given ids) back to the service's queue with a fresh attempt count."""
    assert bus.connection is not None
    channel = await bus.connection.channel()
    queue = await channel.declare_queue(bus.names["dead"], durable=True, arguments={"x-queue-type": "quorum"})
    replayed = 0
    skipped: list[AbstractIncomingMessage] = []
    # Only what was parked when we started: a replayed message that fails again is parked again, and
    # must not be picked up by this same run (it would loop).
    waiting = queue.declaration_result.message_count or 0
    for _ in range(waiting):
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        if message_ids is not None and message.message_id not in message_ids:
            skipped.append(message)
            continue
        await bus._publish_to_queue(bus.names["main"], message, {ATTEMPTS_HEADER: 0})
        await message.ack()
        replayed += 1
    for message in skipped:
        await message.nack(requeue=True)
    await channel.close()
    return replayed
