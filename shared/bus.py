"""RabbitMQ: the `mall.events` topic exchange, one quorum queue per consuming service, retries and parking.

Topology for service `s` (all names carry the configured prefix):
  exchange `mall.events` (topic) --routing key = event type--> quorum queue `s`
  a failed message goes to `s.retry.<ms>` (TTL, dead-letters back into `s`) with growing delays,
  and after `max_attempts` it is parked in `s.dead` with its error, for an operator to list and replay.
A message is acknowledged only after its handler's transaction committed, or after it was safely
re-published to a retry or dead-letter queue (with publisher confirms), so nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any, cast

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection

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


def queue_names(prefix: str, service: str, delays_ms: Iterable[int]) -> dict[str, Any]:
    main = f"{prefix}{service}"
    return {"main": main, "dead": f"{main}.dead", "retry": [f"{main}.retry.{ms}" for ms in delays_ms]}


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
        self._waiting: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()  # taken, not yet handled
        self._in_hand = 0  # messages of the batches being handled
        self._workers: list[asyncio.Task[None]] = []

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
        assert self._exchange is not None, "connect() first"
        message = aio_pika.Message(
            body, content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id, type=routing_key, correlation_id=correlation_id,
            app_id=producer or self.service, headers={TRACEPARENT: trace_context} if trace_context else None)
        await self._exchange.publish(message, routing_key=routing_key, mandatory=False)

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

    async def declare_topology(self, routing_keys: Iterable[str]) -> None:
        """The service's queue, its retry queues and its dead-letter queue (all idempotent)."""
        assert self._publish_channel is not None
        names = self.names
        channel = self._publish_channel
        queue = await channel.declare_queue(names["main"], durable=True, arguments={"x-queue-type": "quorum"})
        for key in sorted(set(routing_keys)):
            await queue.bind(self.exchange_name, routing_key=key)
        for ms, retry in zip(self.retry_delays_ms, names["retry"], strict=True):
            # Classic queues: every message in one retry queue waits the same time, so the head expires first.
            await channel.declare_queue(retry, durable=True, arguments={
                "x-message-ttl": ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": names["main"]})
        await channel.declare_queue(names["dead"], durable=True, arguments={"x-queue-type": "quorum"})

    async def consume(self, routing_keys: Iterable[str], deliver: DeliverBatch) -> None:
        """Start consuming the service's queue: `workers` tasks each hand `deliver` the messages waiting, up to
        `batch_size` at a time, and settle each by its outcome (see DeliverBatch)."""
        assert self.connection is not None
        await self.declare_topology(routing_keys)
        self._consume_channel = await self.connection.channel()
        await self._consume_channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await self._consume_channel.declare_queue(
            self.names["main"], durable=True, arguments={"x-queue-type": "quorum"})
        self._workers = [asyncio.create_task(self._work(deliver), name=f"{self.service}-consumer-{i}")
                         for i in range(self.workers)]

        async def on_message(message: AbstractIncomingMessage) -> None:
            self._waiting.put_nowait(message)

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

    async def _handle(self, batch: list[AbstractIncomingMessage], deliver: DeliverBatch) -> None:
        try:
            outcomes = await deliver(batch)
        except Exception as exc:  # noqa: BLE001 - a failure of the whole batch: every message retried
            outcomes = [exc] * len(batch)
        for message, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                await self._ack(message)
            else:  # a business "no" stays a no however often it is retried
                await self._settle_failure(message, outcome, park=isinstance(outcome, Poison | Refusal))

    def consuming_span(self, message: AbstractIncomingMessage) -> AbstractContextManager[None]:
        """The tracing span of handling one message (shared.tracing.consuming)."""
        return consuming(self.service, message.headers, event_type=message.type, message_id=message.message_id,
                         queue=f"{self.prefix}{self.service}")

    async def _settle_failure(self, message: AbstractIncomingMessage, exc: Exception, *, park: bool) -> None:
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
        except Exception:  # noqa: BLE001 - broker gone: leave unacked, it is redelivered
            self.log.exception("could not re-route a failed message; it will be redelivered")
            return
        await self._ack(message)

    async def _ack(self, message: AbstractIncomingMessage) -> None:
        try:
            await message.ack()
        except Exception:  # noqa: BLE001 - channel lost: the broker redelivers, the inbox skips it
            self.log.warning("ack failed; message will be redelivered", message_id=message.message_id)

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
        for name in [self.names["main"], self.names["dead"], *self.names["retry"]]:
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
