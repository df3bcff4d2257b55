"""The outbox, the bus and the inbox together: what other services rely on when they exchange events."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import aio_pika
import pytest
from aiormq import spec
from aiormq.abc import DeliveredMessage

from shared.bus import EXCHANGE, Outgoing, every_queue
from shared.db import Tx, changes_channel
from shared.events.base import Event
from tests.integration.probe import Noted, Probe, probes, write_note, write_notes
from tests.support import eventually, handled_up_to, listening


async def _has(probe: Probe, body: str) -> int | None:
    return (await probe.effects()).get(body)


async def test_event_written_with_row_reaches_other_service_once(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        writer.run_relay()
        await write_note(writer.db, "你好")
        assert await eventually(reader.effects) == {"你好": 1}
        # Nothing else arrives later: not even before a marker written after it through the same path.
        await handled_up_to(lambda: write_note(writer.db, "marker"), lambda: _has(reader, "marker"), reader.bus)
        assert await reader.effects() == {"你好": 1, "marker": 1}


async def test_rolled_back_business_write_publishes_nothing(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        writer.run_relay()
        with pytest.raises(RuntimeError):
            async with writer.db.transaction() as tx:
                await tx.emit(Noted(body="never"))
                raise RuntimeError("the business write failed")
        await write_note(writer.db, "after")
        assert await eventually(reader.effects) == {"after": 1}


async def test_relay_killed_between_publish_and_mark_sent_delivers_again_and_inbox_dedups(
        database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        relay_bus = writer.bus
        published: list[str] = []
        real_publish = relay_bus.publish_many

        async def publish_then_die(messages):  # noqa: ANN001, ANN202
            outcomes = await real_publish(messages)
            published.extend(m.message_id for m in messages)
            # The relay's database session dies right after the broker confirmed: mark-sent can't happen.
            await writer.db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND usename = 'mall_writer' AND pid <> pg_backend_pid() "
                "AND state = 'idle in transaction'")
            return outcomes

        relay_bus.publish_many = publish_then_die  # type: ignore[method-assign]
        await write_note(writer.db, "crash")
        from shared.outbox import OutboxRelay

        crashing = OutboxRelay(writer.db.pool, relay_bus, "writer")
        with pytest.raises(Exception):  # noqa: B017 - the connection is gone, whatever asyncpg calls it
            await crashing.relay_once()
        assert len(published) == 1
        assert await writer.db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1

        relay_bus.publish_many = real_publish  # type: ignore[method-assign]
        restarted = OutboxRelay(writer.db.pool, relay_bus, "writer")
        assert await restarted.relay_once() == 1
        # Delivered twice on the wire, handled once.
        assert await eventually(reader.effects) == {"crash": 1}
        await eventually(lambda: reader.db.fetchval("SELECT count(*) = 1 FROM inbox"))

        async def marker() -> None:  # queued behind both copies of "crash"
            await write_note(writer.db, "marker")
            assert await restarted.relay_once() == 1

        await handled_up_to(marker, lambda: _has(reader, "marker"), reader.bus)
        assert await reader.effects() == {"crash": 1, "marker": 1}
        assert await writer.db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def _raw_counter(amqp_url: str, prefix: str, routing_key: str) -> tuple[aio_pika.abc.AbstractConnection,
                                                                              dict[str, int]]:
    """A plain queue that counts every message published, duplicates included."""
    conn = await aio_pika.connect(amqp_url)
    channel = await conn.channel()
    await channel.set_qos(prefetch_count=1000)
    exchange = await channel.declare_exchange(f"{prefix}{EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(f"{prefix}raw-counter", durable=False, auto_delete=True)
    await queue.bind(exchange, routing_key=routing_key)
    counts: dict[str, int] = {}

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        counts[message.message_id or ""] = counts.get(message.message_id or "", 0) + 1
        await message.ack()

    await queue.consume(on_message)
    return conn, counts


async def test_two_relays_publish_every_row_once(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer") as (writer,):
        conn, counts = await _raw_counter(amqp_url, bus_prefix, Noted.TYPE)
        try:
            for start in range(0, 5_000, 500):
                await write_notes(writer.db, [f"n{i}" for i in range(start, start + 500)])
            second = await _second_relay_bus(amqp_url, bus_prefix)
            try:
                a = writer.run_relay(batch_size=100)
                from shared.outbox import OutboxRelay

                b = OutboxRelay(writer.db.pool, second, "writer", batch_size=100, poll_seconds=0.2)
                writer.tasks.append(asyncio.create_task(b.run()))
                await eventually(lambda: len(counts) == 5_000, timeout=60)
                # A row is marked sent after its publish is confirmed, in the claim's transaction: once none is
                # left unsent, every publish there will be is queued. A marker queued now is counted last.
                await eventually(lambda: writer.db.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
                await second.publish(Noted.TYPE, b"{}", message_id="marker")
                await eventually(lambda: "marker" in counts)
                assert sum(counts.values()) == 5_001, "a row was published twice"
                assert a.published > 0 and b.published > 0, "both relays took part"
                assert a.published + b.published == 5_000
            finally:
                await second.close()
        finally:
            await conn.close()



async def _second_relay_bus(amqp_url: str, prefix: str):  # noqa: ANN202
    from shared.bus import Bus

    bus = Bus(amqp_url, prefix=prefix, service="writer")
    await bus.connect()
    return bus


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl on this machine")
async def test_consumer_and_relay_resume_after_broker_drops_all_connections(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        writer.run_relay(batch_size=50)
        bodies = [f"e{i}" for i in range(1_000)]

        async def produce() -> None:
            for start in range(0, 1_000, 20):
                await write_notes(writer.db, bodies[start:start + 20])
                await asyncio.sleep(0.01)

        producer = asyncio.create_task(produce())
        await eventually(lambda: reader.db.fetchval("SELECT count(*) > 100 FROM effects"))
        assert await asyncio.to_thread(drop_connections, f"mall-{bus_prefix}") >= 2
        await producer
        effects = await eventually(lambda: _all_arrived(reader), timeout=90)
        assert set(effects) == set(bodies)
        assert set(effects.values()) == {1}, "an event took effect twice"


def drop_connections(name_prefix: str) -> int:
    """What `rabbitmqctl close_all_connections` does, limited to this test's connections (tests of other
    runs on the same broker keep theirs)."""
    listing = subprocess.run(["rabbitmqctl", "list_connections", "pid", "client_properties", "-q",
                              "--no-table-headers"], capture_output=True, text=True, timeout=60, check=True)
    pids = [line.split("\t", 1)[0] for line in listing.stdout.splitlines() if f'"{name_prefix}' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "close_connection", pid, "mpmall test: broker drop"],
                       capture_output=True, text=True, timeout=60, check=True)
    return len(pids)


async def _all_arrived(reader) -> dict[str, int] | None:  # noqa: ANN001
    effects = await reader.effects()
    return effects if len(effects) == 1_000 else None


async def test_failing_handler_is_retried_then_parked_with_its_error_and_replay_delivers_again(
        database_url, amqp_url, bus_prefix):
    from shared.bus import parked_messages, replay_parked

    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader",
                      retry_delays_ms=[200, 400], max_attempts=3) as (writer, reader):
        attempts: list[float] = []
        healed = asyncio.Event()

        async def flaky(tx, event: Event[Noted]) -> None:  # noqa: ANN001
            attempts.append(asyncio.get_running_loop().time())
            if not healed.is_set():
                raise ValueError("warehouse system down")
            await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)

        await reader.consume(flaky)
        writer.run_relay()
        await write_note(writer.db, "poison?")
        parked = await eventually(lambda: parked_messages(reader.bus), timeout=20)
        assert len(attempts) == 3
        gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps[0] >= 0.15 and gaps[1] >= 0.35, f"retries should wait longer each time: {gaps}"
        assert parked[0]["attempts"] == 3
        assert "ValueError: warehouse system down" in parked[0]["error"]
        assert await reader.effects() == {}
        # Still parked after listing; replay after the fix delivers it again.
        healed.set()
        assert await replay_parked(reader.bus) == 1
        assert await eventually(reader.effects) == {"poison?": 1}
        assert await parked_messages(reader.bus) == []


async def test_undecodable_message_is_parked_at_once(database_url, amqp_url, bus_prefix):
    from shared.bus import parked_messages

    async with probes(database_url, amqp_url, bus_prefix, "reader", max_attempts=5) as (reader,):
        await reader.consume()
        await reader.bus.publish(Noted.TYPE, b'{"not": "an envelope"}', message_id="junk-1")
        parked = await eventually(lambda: parked_messages(reader.bus))
        assert parked[0]["message_id"] == "junk-1" and parked[0]["attempts"] == 1
        assert "undecodable" in parked[0]["error"]


async def test_handler_refusal_is_parked_at_once_with_its_code_and_leaves_nothing(database_url, amqp_url, bus_prefix):
    from shared.bus import parked_messages
    from shared.refusal import Refusal

    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader", max_attempts=5) as (writer, reader):
        calls: list[str] = []

        async def refusing(tx, event: Event[Noted]) -> None:  # noqa: ANN001
            calls.append(event.data.body)
            await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)
            raise Refusal("sku_unavailable", "SKU s-1 is not on sale")

        await reader.consume(refusing)
        writer.run_relay()
        await write_note(writer.db, "refused")
        parked = await eventually(lambda: parked_messages(reader.bus), timeout=20)
        assert parked[0]["attempts"] == 1, "a business refusal is not retried"
        assert parked[0]["error"] == "Refusal sku_unavailable: SKU s-1 is not on sale"
        assert calls == ["refused"]
        assert await reader.effects() == {}, "the handler's transaction rolled back"


async def test_redelivered_event_is_handled_once(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "reader") as (reader,):
        await reader.consume()
        event = Event.wrap(Noted(body="twice"), producer="writer")
        await asyncio.gather(*(reader.bus.publish_event(event) for _ in range(5)))
        assert await eventually(reader.effects) == {"twice": 1}
        marker = Event.wrap(Noted(body="marker"), producer="writer")  # queued behind the five copies
        await handled_up_to(lambda: reader.bus.publish_event(marker), lambda: _has(reader, "marker"), reader.bus)
        assert await reader.effects() == {"twice": 1, "marker": 1}




async def test_operator_command_lists_and_replays_parked_messages(database_url, amqp_url, bus_prefix):
    import os
    import sys

    from shared.bus import parked_messages

    async with probes(database_url, amqp_url, bus_prefix, "reader", max_attempts=1) as (reader,):
        await reader.consume()
        await reader.bus.publish(Noted.TYPE, b"not json", message_id="bad-1")
        await eventually(lambda: parked_messages(reader.bus))
        env = {**os.environ, "MALL_AMQP_URL": amqp_url, "MALL_BUS_PREFIX": bus_prefix}

        async def run(*args: str) -> str:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "shared.parked", *args, env=env,
                                                        stdout=asyncio.subprocess.PIPE)
            out, _ = await proc.communicate()
            assert proc.returncode == 0
            return out.decode()

        listed = await run("list", "reader")
        assert '"message_id": "bad-1"' in listed and "undecodable" in listed
        assert "replayed 1 message" in await run("replay", "reader", "--id", "bad-1")
        # It is undecodable still, so it comes straight back: but it went through the queue again.
        again = await eventually(lambda: parked_messages(reader.bus))
        assert again[0]["message_id"] == "bad-1"


async def test_relay_is_woken_by_the_commit_not_by_its_polling(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        await write_note(writer.db, "first round")
        writer.run_relay(poll_seconds=60)
        # The relay has done its first round (it published the note) and sleeps until woken, LISTENing.
        await eventually(lambda: writer.db.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        await listening(writer.db, changes_channel("writer"))
        started = asyncio.get_running_loop().time()
        await write_note(writer.db, "wake up")
        assert await eventually(lambda: _has(reader, "wake up"), timeout=10)
        assert asyncio.get_running_loop().time() - started < 10


async def test_a_commit_wakes_the_relay_of_its_own_process_without_a_notify(database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        await write_note(writer.db, "first round")
        relay = writer.run_relay(poll_seconds=60)
        writer.db.wake_own_relay = relay.wake  # as shared.service does for a service's own relay
        await eventually(lambda: writer.db.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        await listening(writer.db, changes_channel("writer"))  # the relay sleeps until woken
        heard: list[object] = []

        def hear(*notice: object) -> None:
            heard.append(notice)

        async with writer.db.pool.acquire() as conn:
            await conn.add_listener(changes_channel("writer"), hear)
            started = asyncio.get_running_loop().time()
            await write_note(writer.db, "wake up")
            assert await eventually(lambda: _has(reader, "wake up"), timeout=10)
            assert asyncio.get_running_loop().time() - started < 10, "woken, not polled"
            await conn.execute("SELECT 1")  # a notification sent before now has reached this connection
            assert heard == [], "no NOTIFY round trip for the relay that is right here"
            await conn.remove_listener(changes_channel("writer"), hear)


async def test_a_commit_whose_wake_up_was_lost_is_relayed_by_the_listening_relays_poll(
        database_url, amqp_url, bus_prefix):
    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        writer.run_relay(listening_poll_seconds=0.5)
        await listening(writer.db, changes_channel("writer"))
        # The business commit without its NOTIFY, as when the emitter dies between the two.
        async with writer.db.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO notes (body) VALUES ($1)", "lost wake-up")
            await Tx(conn, "writer").emit(Noted(body="lost wake-up"))
        assert await eventually(lambda: _has(reader, "lost wake-up"), timeout=20)


async def test_events_waiting_together_commit_in_one_transaction_and_a_failing_one_is_rolled_back_alone(
        database_url, amqp_url, bus_prefix):
    from shared.inbox import Consumer
    from shared.refusal import Refusal
    from tests.conftest import remember_queues

    async with probes(database_url, amqp_url, bus_prefix, "reader") as (reader,):
        bus = reader.bus
        remember_queues(bus.prefix, every_queue(bus.names))
        await bus.declare_topology([Noted.TYPE])
        bodies = ["a", "refused", "flaky", "b"]
        for body in bodies:
            await bus.publish_event(Event.wrap(Noted(body=body), producer="writer"))
        assert bus.connection is not None
        channel = await bus.connection.channel()
        messages = await _taken(channel, bus.names["main"], len(bodies))
        transactions: dict[str, int] = {}
        healed = False

        async def handler(tx, event: Event[Noted]) -> None:  # noqa: ANN001
            await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)
            transactions[event.data.body] = await tx.conn.fetchval("SELECT txid_current()")
            if event.data.body == "refused":
                raise Refusal("sku_unavailable", "SKU s-1 is not on sale")
            if event.data.body == "flaky" and not healed:
                raise ValueError("warehouse system down")

        consumer = Consumer(reader.db, bus).on(Noted, handler)
        outcomes = await consumer.deliver(messages)  # what the bus hands over when the four wait together
        assert outcomes[0] is None and outcomes[3] is None
        assert isinstance(outcomes[1], Refusal) and isinstance(outcomes[2], ValueError)
        assert await reader.effects() == {"a": 1, "b": 1}  # the failing ones' writes rolled back alone
        assert len(set(transactions.values())) == 1  # one transaction (one commit) for the batch

        healed = True  # redelivered: the committed ones are skipped, the retried one is handled now
        outcomes = await consumer.deliver(messages)
        assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
        assert isinstance(outcomes[1], Refusal)
        assert await reader.effects() == {"a": 1, "b": 1, "flaky": 1}
        await channel.close()


async def test_a_clean_batch_is_one_plain_transaction_and_a_failure_in_it_doubles_nothing(
        database_url, amqp_url, bus_prefix):
    """More events than PostgreSQL tracks subtransactions for cheaply (64) commit as one plain transaction; when
    one of them fails, the batch's other events take effect and emit once, the failing one not at all."""
    from shared.inbox import Consumer
    from tests.conftest import remember_queues

    async with probes(database_url, amqp_url, bus_prefix, "reader") as (reader,):
        bus = reader.bus
        remember_queues(bus.prefix, every_queue(bus.names))
        await bus.declare_topology([Noted.TYPE])
        bodies = [f"n{i}" for i in range(80)]
        await bus.publish_many([Outgoing(Noted.TYPE, Event.wrap(Noted(body=body), producer="writer").to_json(),
                                         f"m{i}") for i, body in enumerate(bodies)])
        assert bus.connection is not None
        channel = await bus.connection.channel()
        messages = await _taken(channel, bus.names["main"], len(bodies))
        failing: set[str] = set()
        transactions: set[int] = set()

        async def handler(tx, event: Event[Noted]) -> None:  # noqa: ANN001
            await tx.conn.execute("INSERT INTO effects (note_event, body) VALUES ($1, $2)", event.id, event.data.body)
            await tx.emit(Noted(body=f"after {event.data.body}"))
            transactions.add(await tx.conn.fetchval("SELECT txid_current() % (2^32)::bigint"))
            if event.data.body in failing:
                raise ValueError("warehouse system down")

        consumer = Consumer(reader.db, bus).on(Noted, handler)
        assert await consumer.deliver(messages[:40] + messages[:40]) == [None] * 80  # twice in one batch: once
        assert await consumer.deliver(messages[40:]) == [None] * 40
        assert len(transactions) == 2
        # Each row written by its batch's transaction itself (xmin), not by a subtransaction of it.
        assert {r["xmin"] for r in await reader.db.fetch("SELECT xmin::text::bigint AS xmin FROM effects")} \
            == transactions
        assert await reader.effects() == dict.fromkeys(bodies, 1)

        await reader.db.execute("TRUNCATE effects, outbox, inbox")
        failing.add("n41")
        outcomes = await consumer.deliver(messages[40:])
        assert isinstance(outcomes[1], ValueError) and outcomes[:1] + outcomes[2:] == [None] * 39
        assert await reader.effects() == {body: 1 for body in bodies[40:] if body != "n41"}
        emitted = await reader.db.fetch(
            "SELECT convert_from(payload, 'UTF8')::jsonb->'data'->>'body' AS body FROM outbox")
        assert sorted(r["body"] for r in emitted) == sorted(f"after {body}" for body in bodies[40:] if body != "n41")
        await channel.close()


async def test_a_batch_whose_publishes_the_broker_partly_refuses_marks_the_confirmed_sent_and_repeats_only_the_refused(
        database_url, amqp_url, bus_prefix):
    from shared.outbox import OutboxRelay, PublishRefused

    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        await reader.consume()
        conn, counts = await _raw_counter(amqp_url, bus_prefix, Noted.TYPE)
        try:
            # A queue that takes two messages and refuses more: the broker nacks every publish routed to it after.
            channel = await conn.channel()
            full = await channel.declare_queue(f"{bus_prefix}full", auto_delete=True, arguments={
                "x-max-length": 2, "x-overflow": "reject-publish"})
            await full.bind(f"{bus_prefix}{EXCHANGE}", routing_key=Noted.TYPE)
            bodies = ["a", "b", "c", "d", "e"]
            await write_notes(writer.db, bodies)
            relay = OutboxRelay(writer.db.pool, writer.bus, "writer")
            with pytest.raises(PublishRefused):
                await relay.relay_once()
            rows = await writer.db.fetch("SELECT event_id::text AS id, sent_at IS NOT NULL AS sent FROM outbox")
            confirmed = {r["id"] for r in rows if r["sent"]}
            assert len(confirmed) == 2 and relay.published == 2, "the confirmed publishes are marked sent"

            await full.delete(if_unused=False, if_empty=False)
            assert await relay.relay_once() == 3, "only the refused ones are published again"
            await writer.bus.publish(Noted.TYPE, b"{}", message_id="marker")  # counted after all of those
            await eventually(lambda: "marker" in counts)
            assert all(counts[event_id] == 1 for event_id in confirmed), "a confirmed event was published twice"
            assert set(counts) == {r["id"] for r in rows} | {"marker"}
            # The reader's queue took the refused ones at their first publish too: its inbox keeps one of each.
            assert await eventually(lambda: _all_of(reader, bodies)) == dict.fromkeys(bodies, 1)
        finally:
            await conn.close()


async def _taken(channel: aio_pika.abc.AbstractChannel, queue: str, count: int) -> list[DeliveredMessage]:
    """`count` messages taken from `queue` (not acknowledged), as the bus hands them to the consumer."""
    underlay = await channel.get_underlay_channel()

    async def one() -> DeliveredMessage | None:
        message = await underlay.basic_get(queue, no_ack=False)
        return message if isinstance(message.delivery, spec.Basic.GetOk) else None

    return [await eventually(one) for _ in range(count)]


async def _all_of(reader, bodies: list[str]) -> dict[str, int] | None:  # noqa: ANN001
    effects = await reader.effects()
    return effects if set(effects) == set(bodies) else None


async def test_an_event_still_being_handled_is_not_acknowledged_with_later_ones_and_comes_back_if_its_consumer_dies(
        database_url, amqp_url, bus_prefix):
    from shared.bus import Bus
    from shared.inbox import Consumer
    from tests.integration.probe import count_effect

    async with probes(database_url, amqp_url, bus_prefix, "reader") as (reader,):
        entered, release = asyncio.Event(), asyncio.Event()  # never released

        async def slow_first(tx, event: Event[Noted]) -> None:  # noqa: ANN001
            if event.data.body == "slow":
                entered.set()
                await release.wait()
            await count_effect(tx, event)

        await reader.consume(slow_first)  # two workers: one holds "slow", the other handles what follows
        await reader.bus.publish_event(Event.wrap(Noted(body="slow"), producer="writer"))
        await asyncio.wait_for(entered.wait(), 20)
        later = [f"later{i}" for i in range(5)]
        for body in later:
            await reader.bus.publish_event(Event.wrap(Noted(body=body), producer="writer"))
        await eventually(lambda: _all_of(reader, later))
        # The consumer stops with "slow" still in hand (its stop gives up waiting for it) and its connection closes:
        # the broker takes back what is not acknowledged.
        await reader.bus.stop_consuming(timeout=0.5)
        await reader.bus.close()

        again = Bus(amqp_url, prefix=bus_prefix, service="reader")
        await again.connect()
        try:
            await Consumer(reader.db, again).on(Noted, count_effect).start()
            assert await eventually(lambda: _all_of(reader, ["slow", *later])) == dict.fromkeys(["slow", *later], 1)
        finally:
            await again.close()


async def test_an_event_no_longer_consumed_is_unbound_and_its_copy_queued_before_is_acknowledged_unhandled(
        database_url, amqp_url, bus_prefix):
    from shared.bus import parked_messages
    from shared.events.payments import PaymentConfirmed

    async with probes(database_url, amqp_url, bus_prefix, "reader") as (reader,):
        # An earlier version of the reader consumed payment.confirmed: its queue is bound to it, a copy waits.
        await reader.bus.declare_topology([Noted.TYPE, PaymentConfirmed.TYPE])
        await reader.bus.publish(PaymentConfirmed.TYPE, b"{}", message_id="queued-before")
        await reader.consume(retired=[PaymentConfirmed])
        marker = Event.wrap(Noted(body="marker"), producer="writer")  # queued behind the copy
        await handled_up_to(lambda: reader.bus.publish_event(marker), lambda: _has(reader, "marker"), reader.bus)
        assert await parked_messages(reader.bus) == [], "the copy was acknowledged, not parked for want of a handler"

        await reader.bus.stop_consuming()
        await reader.bus.publish(PaymentConfirmed.TYPE, b"{}", message_id="after")  # routed nowhere now
        await reader.bus.publish_event(Event.wrap(Noted(body="still consumed"), producer="writer"))
        assert reader.bus.connection is not None
        channel = await reader.bus.connection.channel()
        queue = await channel.declare_queue(reader.bus.names["main"], passive=True)
        assert queue.declaration_result.message_count == 1, "only the event still consumed reached the queue"
        await channel.close()


async def test_an_event_that_asks_nothing_of_its_consumer_is_acknowledged_unhandled_and_leaves_no_inbox_row(
        database_url, amqp_url, bus_prefix):
    from shared.bus import parked_messages
    from tests.integration.probe import count_effect

    handled: list[str] = []

    async def note_handled(tx: Tx, event: Event[Noted]) -> None:
        handled.append(event.data.body)
        await count_effect(tx, event)

    async with probes(database_url, amqp_url, bus_prefix, "writer", "reader") as (writer, reader):
        # Say, fulfilment and an order without delivery: the handler would do nothing with such an event.
        await reader.consume(note_handled, needs=lambda note: not note.body.startswith("nothing"))
        writer.run_relay()
        await write_notes(writer.db, ["nothing 1", "wanted", "nothing 2"])
        await write_note(writer.db, "nothing 3")
        await handled_up_to(lambda: write_note(writer.db, "marker"), lambda: _has(reader, "marker"), reader.bus)
        assert handled == ["wanted", "marker"]
        assert await reader.effects() == {"wanted": 1, "marker": 1}
        assert await reader.db.fetchval("SELECT count(*) FROM inbox") == 2, "no transaction for the others"
        assert await parked_messages(reader.bus) == [], "acknowledged, not parked"
        assert reader.bus.connection is not None
        channel = await reader.bus.connection.channel()
        queue = await channel.declare_queue(reader.bus.names["main"], passive=True)
        assert queue.declaration_result.message_count == 0, "none left in the queue"
        await channel.close()
