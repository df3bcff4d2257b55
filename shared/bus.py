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
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from aiormq import spec
from aiormq.abc import ChannelFrame, DeliveredMessage
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from shared.events.base import Event
from shared.logging import get_logger
from shared.refusal import Refusal
from shared.tracing import TRACEPARENT, consuming

EXCHANGE = "mall.events"
ATTEMPTS_HEADER = "x-mall-attempts"
ERROR_HEADER = "x-mall-error"
ROUTING_KEY_HEADER = "x-mall-routing-key"

RESUME_SECONDS = 2.0  # between attempts to consume again after the broker cancelled the consumer

# Handles a batch of messages (up to `batch_size`, those already waiting: never held back for more), each as
# aiormq decoded it (no wrapper object per delivery): one outcome per message, in order. None: done
# (acknowledged); Poison or a business Refusal: parked now; any other exception: retried later.
DeliverBatch = Callable[[list[DeliveredMessage]], Awaitable[list[Exception | None]]]


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


Publish = tuple[str, str, bytes, spec.Basic.Properties]  # exchange, routing key, body, properties


async def _publish_at_once(channel: aiormq.Channel, publishes: Sequence[Publish]) -> list[asyncio.Future[Any]]:
    """Hand the connection's writer the frames of every (exchange, routing key, body, properties) as one write, and
    return the future of each one's publisher confirm, in order.

    What aiormq's `basic_publish` does for one message, for a batch: under the channel's lock, each publish takes
    the next delivery tag (the broker numbers publishes in the order they arrive, and confirms by that number)
    and a confirmation future of the channel's (failed with the channel should it close); then all the frames
    leave in one item of the write queue, so in one socket write rather than one per message (a system call
    each, the largest cost of publishing a batch), without a task and a drain per message."""
    assert channel.publisher_confirms, "a confirming channel"
    async with channel.lock:
        first = channel.delivery_tag
        confirms: list[asyncio.Future[Any]] = []
        frames: list[Any] = []
        for exchange, routing_key, body, properties in publishes:
            channel.delivery_tag += 1
            confirm = channel.create_future()
            channel.confirmations[channel.delivery_tag] = confirm
            confirms.append(confirm)
            frames += (spec.Basic.Publish(exchange=exchange, routing_key=routing_key),
                       ContentHeader(properties=properties, body_size=len(body)),
                       *[ContentBody(body[at:at + channel.max_content_size])
                         for at in range(0, len(body), channel.max_content_size)])
        try:
            await channel.write_queue.put(ChannelFrame.marshall(channel_number=channel.number, frames=frames))
        except BaseException:  # cancelled while the queue was full: the broker saw none of them
            for tag in range(first + 1, channel.delivery_tag + 1):
                channel.confirmations.pop(tag, None)
            channel.delivery_tag = first
            for confirm in confirms:
                confirm.cancel()
            raise
    return confirms


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
        self._consumer_tag: str | None = None  # set while consuming (also while the connection is being restored)
        self._routing_keys: list[str] = []
        self._resuming: asyncio.Task[None] | None = None  # consuming again after the broker cancelled us
        # taken, not yet handled, each with the deliveries of the channel it came on
        self._waiting: asyncio.Queue[tuple[DeliveredMessage, Deliveries]] = asyncio.Queue()
        self._deliveries: Deliveries | None = None  # of the current consuming channel (a new one after a reconnect)
        self._in_hand = 0  # messages of the batches being handled
        self._workers: list[asyncio.Task[None]] = []
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
        if not messages:
            return []
        channel = cast(aiormq.Channel, await self._publish_channel.get_underlay_channel())  # the one kind there is
        try:
            confirms = await _publish_at_once(channel, [(
                self.exchange_name, m.routing_key, m.body, spec.Basic.Properties(
                    content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
                    message_id=m.message_id, message_type=m.routing_key, correlation_id=m.correlation_id,
                    app_id=m.producer or self.service,
                    headers={TRACEPARENT: m.trace_context} if m.trace_context else {}))
                for m in messages])
        except Exception as exc:  # noqa: BLE001 - the channel closed before any was written: none was published
            return [exc] * len(messages)
        results = await asyncio.gather(*confirms, return_exceptions=True)
        return [result if isinstance(result, BaseException) else None for result in results]

    async def publish_event(self, event: Event[Any]) -> None:
        await self.publish(event.type, event.to_json(), message_id=str(event.id),
                           correlation_id=event.correlation_id, producer=event.producer)

    async def _publish_to_queue(self, queue: str, body: bytes, properties: spec.Basic.Properties,
                                headers: dict[str, Any]) -> None:
        """Publish a message taken from a queue to `queue` (through the default exchange), its headers updated,
        and wait for the broker's confirm."""
        assert self._publish_channel is not None
        channel = cast(aiormq.Channel, await self._publish_channel.get_underlay_channel())
        [confirm] = await _publish_at_once(channel, [("", queue, body, spec.Basic.Properties(
            content_type=properties.content_type, delivery_mode=aio_pika.DeliveryMode.PERSISTENT.value,
            message_id=properties.message_id, message_type=properties.message_type,
            correlation_id=properties.correlation_id, app_id=properties.app_id,
            headers={**(properties.headers or {}), **headers}))])
        await confirm

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
        (see DeliverBatch).

        The consumer is aiormq's, on the robust channel's current channel: each delivery comes as aiormq decoded
        it (aio-pika would wrap it in an `IncomingMessage`, in a task of its own). aio-pika's robust channel still
        declares the queue and sets the prefetch again on every reconnect; the consumer itself is started again
        after each (`reopen_callbacks`), and after the broker cancels it (`_resume`), as aio-pika would."""
        assert self.connection is not None
        self._routing_keys = sorted(set(routing_keys))
        await self.declare_topology(self._routing_keys, retired)
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        await self._consume_channel.declare_queue(
            self.names["main"], durable=True, arguments={"x-queue-type": "quorum"})
        self._workers = [asyncio.create_task(self._work(deliver), name=f"{self.service}-consumer-{i}")
                         for i in range(self.workers)]
        self._consumer_tag = f"{self.prefix}{self.service}.{uuid.uuid4().hex}"
        self._consume_channel.reopen_callbacks.add(self._consume_again)
        await self._start_consumer()

    async def _start_consumer(self) -> None:
        """Consume the main queue on the consuming channel as it is now (a new one after each reconnect)."""
        assert self._consume_channel is not None
        if self._consumer_tag is None:
            return  # stopped meanwhile
        channel = cast(aiormq.Channel, await self._consume_channel.get_underlay_channel())
        # A new channel numbers its deliveries from 1 again (noted before the first can arrive); consuming again on
        # the same one (after a broker cancel) goes on with its numbering, and the deliveries still in hand.
        if self._deliveries is None or self._deliveries.channel is not channel:
            self._deliveries = Deliveries(channel)
        deliveries = self._deliveries
        channel.on_consumer_cancel_callbacks.add(self._cancelled_by_broker)

        async def on_delivery(message: DeliveredMessage) -> None:
            # aiormq hands each delivery over in a task of its own, started in the order of the tags, so a tag is
            # noted before any later one can be settled.
            deliveries.unsettled.append(cast(int, message.delivery_tag))
            self._waiting.put_nowait((message, deliveries))

        await channel.basic_consume(self.names["main"], on_delivery, consumer_tag=self._consumer_tag)

    async def _consume_again(self, *_: object) -> None:
        """After aio-pika reopened the consuming channel (a reconnect): consume on the new channel."""
        try:
            await self._start_consumer()
        except Exception:  # noqa: BLE001 - that channel is gone too: its reopen calls this again
            self.log.warning("could not consume again after a reconnect; waiting for the next", exc_info=True)

    def _cancelled_by_broker(self, frame: spec.Basic.Cancel) -> None:
        """The broker cancelled the consumer (its queue deleted, say): consume again, as aio-pika does."""
        if frame.consumer_tag != self._consumer_tag or (self._resuming and not self._resuming.done()):
            return
        self.log.warning("consumer cancelled by the broker; consuming again", queue=self.names["main"])
        self._resuming = asyncio.create_task(self._resume())

    async def _resume(self) -> None:
        """Declare the queue again (with its bindings) and consume it, until that works or the consumer stops.
        A reconnect meanwhile consumes again by itself."""
        assert self._consume_channel is not None
        names = self.names
        while self._consumer_tag is not None:
            try:
                channel = cast(aiormq.Channel, await self._consume_channel.get_underlay_channel())
                if self._consumer_tag in channel.consumers:
                    return  # consuming again already (a reconnect restarted it)
                await channel.queue_declare(names["main"], durable=True, arguments={"x-queue-type": "quorum"})
                for key in self._routing_keys:
                    await channel.queue_bind(names["main"], self.exchange_name, routing_key=key)
                await self._start_consumer()
                return
            except Exception:  # noqa: BLE001 - try again shortly, as aio-pika's recovery does
                self.log.warning("could not consume again yet", exc_info=True)
                await asyncio.sleep(RESUME_SECONDS)

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

    async def _handle(self, batch: list[tuple[DeliveredMessage, Deliveries]], deliver: DeliverBatch) -> None:
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

    def consuming_span(self, message: DeliveredMessage) -> AbstractContextManager[None]:
        """The tracing span of handling one message (shared.tracing.consuming)."""
        properties = message.header.properties
        return consuming(self.service, properties.headers, event_type=properties.message_type,
                         message_id=properties.message_id, queue=f"{self.prefix}{self.service}")

    async def _settle_failure(self, message: DeliveredMessage, exc: Exception, *, park: bool) -> bool:
        """Re-route a failed message to a retry queue or park it: True once that is confirmed (then it is to be
        acked); False when it could not be and the message was handed back to the queue instead."""
        properties = message.header.properties
        attempts = int(cast("int | str", (properties.headers or {}).get(ATTEMPTS_HEADER, 0))) + 1  # we wrote it
        code = exc.code if isinstance(exc, Refusal) else None  # the operator sees which "no" parked it
        error = f"{type(exc).__name__}{f' {code}' if code else ''}: {exc}"[:2000]
        headers = {ATTEMPTS_HEADER: attempts, ERROR_HEADER: error,
                   ROUTING_KEY_HEADER: message.routing_key or properties.message_type or ""}
        names = self.names
        if park or attempts >= self.max_attempts or not names["retry"]:
            target = names["dead"]
            self.log.error("message parked", message_id=properties.message_id, attempts=attempts,
                           error=error, code=code)
        else:
            target = names["retry"][min(attempts, len(names["retry"])) - 1]
            self.log.warning("message retried", message_id=properties.message_id, attempts=attempts,
                             error=error, retry_queue=target)
        try:
            await self._publish_to_queue(target, message.body, properties, headers)
        except Exception:  # noqa: BLE001 - broker gone: handed back to the queue, so a later ack cannot cover it
            self.log.exception("could not re-route a failed message; it will be redelivered")
            with contextlib.suppress(Exception):  # the channel is gone too: the broker redelivers it anyway
                await message.channel.basic_nack(cast(int, message.delivery_tag), requeue=True)
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
        tag, self._consumer_tag = self._consumer_tag, None  # no reconnect or resumption consumes again
        if self._resuming is not None:
            self._resuming.cancel()
        if self._consume_channel is not None and tag is not None:
            try:
                channel = await self._consume_channel.get_underlay_channel()
                await channel.basic_cancel(tag)
            except Exception:  # noqa: BLE001 - the channel is gone: nothing more is delivered on it
                pass
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
        await bus._publish_to_queue(bus.names["main"], message.body, message.properties, {ATTEMPTS_HEADER: 0})
        await message.ack()
        replayed += 1
    for message in skipped:
        await message.nack(requeue=True)
    await channel.close()
    return replayed
