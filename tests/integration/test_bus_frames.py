"""How shared.bus puts events on the wire and takes them off it, against the real broker."""

from __future__ import annotations

from typing import Any

import aio_pika

from shared.bus import EXCHANGE, Bus, Outgoing


async def test_a_batch_of_publishes_leaves_in_one_write_and_every_one_is_confirmed_and_arrives_in_order(
        amqp_url, bus_prefix):
    bus = Bus(amqp_url, prefix=bus_prefix, service="writer")
    await bus.connect()
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(f"{bus_prefix}seen", auto_delete=True)
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
