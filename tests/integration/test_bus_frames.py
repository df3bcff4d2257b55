"""How shared.bus puts events on the wire and takes them off it, against the real broker."""

from __future__ import annotations

from typing import Any

import aio_pika
import aiormq
from aiormq.abc import DeliveredMessage

from shared.bus import EXCHANGE, Bus, Outgoing, every_queue
from tests.conftest import remember_queues
from tests.integration.probe import Probe, probes, write_note
from tests.support import eventually


async def test_a_batch_of_publishes_leaves_in_one_write_and_every_one_is_confirmed_and_arrives_in_order(
        amqp_url, bus_prefix):
    bus = Bus(amqp_url, prefix=bus_prefix, service="writer")
    await bus.connect()
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(f"{bus_prefix}seen", auto_delete=True)
        remember_queues(bus_prefix, [f"{bus_prefix}seen"])  # deleted after the test, even if auto-delete did not
        await queue.bind(f"{bus_prefix}{EXCHANGE}", routing_key="bench.#")
        assert bus._publish_channel is not None
        underlay: Any = await bus._publish_channel.get_underlay_channel()
        writes: list[object] = []
        real_put = underlay.write_queue.put

        async def counted_put(item: object) -> None:
            writes.append(item)
            await real_put(item)

        underlay.write_queue.put = counted_put
        messages = [Outgoing("bench.ping", f'{{"n": {i}}}'.encode(), f"m{i}") for i in range(49)]
        messages.insert(20, Outgoing("bench.ping", b"x" * 300_000, "large"))  # more than one frame's worth
        outcomes = await bus.publish_many(messages)
        underlay.write_queue.put = real_put
        assert outcomes == [None] * 50, "every publish confirmed"
        assert len(writes) == 1, "the batch's frames went to the writer as one write, not one per message"

        seen: list[tuple[str | None, bytes]] = []
        async with queue.iterator() as incoming:
            async for message in incoming:
                seen.append((message.message_id, message.body))
                await message.ack()
                if len(seen) == 50:
                    break
        assert seen == [(m.message_id, m.body) for m in messages]
        # The channel's numbering goes on from there: a publish after the batch is confirmed too.
        await bus.publish("bench.ping", b"{}", message_id="after")
    finally:
        await conn.close()
        await bus.close()


async def test_deliveries_reach_the_batch_as_aiormq_decoded_them_in_order_and_are_all_acknowledged(
        amqp_url, bus_prefix):
    bus = Bus(amqp_url, prefix=bus_prefix, service="reader", batch_size=8)
    await bus.connect()
    remember_queues(bus_prefix, every_queue(bus.names))
    handed: list[DeliveredMessage] = []

    async def deliver(messages: list[DeliveredMessage]) -> list[Exception | None]:
        handed.extend(messages)
        return [None] * len(messages)

    try:
        await bus.consume(["bench.ping"], deliver)
        await bus.publish_many([Outgoing("bench.ping", f"{i}".encode(), f"m{i}") for i in range(30)])
        await eventually(lambda: len(handed) == 30)
        # No wrapper object per delivery: the broker's own fields, as aiormq parsed them.
        assert all(type(m) is DeliveredMessage for m in handed)
        assert [(m.header.properties.message_id, m.body) for m in handed] == [
            (f"m{i}", f"{i}".encode()) for i in range(30)]
        await eventually(lambda: bus.handling == 0)
    finally:
        await bus.close()
    assert await _waiting(amqp_url, bus.names["main"]) == 0, "every delivery acknowledged"


async def test_a_consumer_the_broker_cancelled_consumes_again_and_its_queue_is_bound_again(
        database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        writer.run_relay()
        await write_note(writer.db, "before")
        assert await eventually(reader.effects) == {"before": 1}
        conn = await aio_pika.connect(amqp_url)
        try:
            channel = await conn.channel()
            await channel.queue_delete(reader.bus.names["main"])  # the broker cancels the reader's consumer

            async def consumed_again() -> bool:
                try:
                    queue = await (await conn.channel()).declare_queue(reader.bus.names["main"], passive=True)
                except aiormq.exceptions.ChannelNotFoundEntity:
                    return False  # not declared again yet
                return queue.declaration_result.consumer_count == 1

            await eventually(consumed_again)
        finally:
            await conn.close()
        await write_note(writer.db, "after")  # routed to the queue through the exchange: bound again
        assert await eventually(lambda: _all(reader, 2)) == {"before": 1, "after": 1}


async def _all(probe: Probe, count: int) -> dict[str, int] | None:
    effects = await probe.effects()
    return effects if sum(effects.values()) >= count else None


async def _waiting(amqp_url: str, queue: str) -> int:
    conn = await aio_pika.connect(amqp_url)
    try:
        declared = await (await conn.channel()).declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0
    finally:
        await conn.close()

