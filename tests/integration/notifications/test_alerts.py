"""Merchant alerts on the real bus and database: the signed webhook with a real local HTTP receiver (a 500,
then the retry), the test button, the SSRF refusals outside development, the console's event stream (only the
merchant's own alerts) and the alert for a pickup order not made ready in time."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from services.notifications import flows, store
from shared.clock import ManualClock
from shared.db import Database, Tx, create_pool, service_dsn
from shared.events.common import Line
from shared.events.fulfilment import PickupReady
from shared.events.marketing import GroupBuySucceeded
from shared.events.orders import Delivery, OrderPaid, OrderPlaced, OrderRefundRequested
from shared.service import BUS
from shared.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.integration.notifications.conftest import Notifications, StartNotifications
from tests.support import eventually, handled_up_to


@dataclass
class Receiver:
    """A merchant's webhook endpoint: it checks each request's signature with the secret the mall gave, and
    answers with the next status of `answers` (200 once they run out)."""

    secret: str = ""
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    clock: ManualClock | None = None  # the mall's clock when a test moves it (the replay window follows it)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = self.clock.now().timestamp() if self.clock else None
        self.received.append({
            "verified": verify(self.secret, request.headers.get(TIMESTAMP_HEADER, ""),
                               request.headers.get(SIGNATURE_HEADER, ""), body, now=now),
            "event": request.headers.get(EVENT_HEADER), "delivery": request.headers.get(DELIVERY_HEADER),
            "body": orjson.loads(body), "raw": body, "timestamp": request.headers.get(TIMESTAMP_HEADER, ""),
            "signature": request.headers.get(SIGNATURE_HEADER, "")})
        status = self.answers.pop(0) if self.answers else 200
        return web.Response(status=status, text="ok" if status == 200 else "boom")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/mall", hook.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    hook.url = str(server.make_url("/hooks/mall"))
    try:
        yield hook
    finally:
        await server.close()


def paid(order_id: str, merchant_id: str = "m1", delivery_method: str | None = None) -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id="u1", merchant_id=merchant_id, payable_fen=8_800, method="alipay",
                     delivery_method=delivery_method)  # type: ignore[arg-type]


async def set_webhook(n: Notifications, receiver: Receiver, merchant: str = "m1") -> None:
    status, hook = await n.call("PUT", "/merchant/webhook", merchant=merchant, json={"url": receiver.url})
    assert status == 200, hook
    assert hook["url"] == receiver.url and len(hook["secret"]) == 64
    receiver.secret = hook["secret"]


async def test_an_alert_reaches_the_webhook_signed_and_is_retried_after_a_500(
        notifications: Notifications, receiver: Receiver) -> None:
    n = notifications
    await set_webhook(n, receiver)
    receiver.answers = [500]  # the merchant's ERP fails once
    await n.publish(paid("o1"), times=2)
    await n.publish(paid("o1"))  # the same fact again: still one alert, one delivery

    status, log = await eventually(lambda: _delivered(n))
    assert [(d["kind"], d["status"], d["attempts"], d["last_status"]) for d in log] == [
        ("order_paid", "delivered", 2, 200)]
    assert len(receiver.received) == 2  # the 500, then the retry
    first, retry = receiver.received
    assert first["verified"] and retry["verified"]  # each signed with the merchant's secret, fresh timestamp
    assert first["delivery"] == retry["delivery"] == log[0]["delivery_id"]  # the receiver can dedupe on it
    assert first["event"] == "order_paid" and first["body"] == retry["body"]
    assert (first["body"]["type"], first["body"]["order_id"], first["body"]["merchant_id"]) == ("order_paid", "o1",
                                                                                                 "m1")
    assert first["body"]["data"] == {"payable_fen": 8_800, "method": "alipay"}
    # A forged request (another secret) would not verify:
    assert not verify("another-secret", "1", "v1=00", orjson.dumps(first["body"]))


async def _delivered(n: Notifications) -> tuple[int, list[dict[str, Any]]] | None:
    status, body = await n.call("GET", "/merchant/webhook/deliveries", merchant="m1")
    return (status, body["items"]) if body["items"] and body["items"][0]["status"] != "pending" else None


async def test_the_test_button_sends_one_signed_test_alert_and_reports_the_answer(
        notifications: Notifications, receiver: Receiver) -> None:
    n = notifications
    status, body = await n.call("POST", "/merchant/webhook/test", merchant="m1")
    assert (status, body["code"]) == (404, "webhook_not_set")
    await set_webhook(n, receiver)
    receiver.answers = [503]
    assert await n.call("POST", "/merchant/webhook/test", merchant="m1") == (
        200, {"delivered": False, "status": 503, "error": "HTTP 503"})
    assert await n.call("POST", "/merchant/webhook/test", merchant="m1") == (
        200, {"delivered": True, "status": 200, "error": None})
    assert [(r["event"], r["verified"], r["body"]["merchant_id"]) for r in receiver.received] == [
        ("test", True, "m1"), ("test", True, "m1")]
    # Another merchant sees none of it, and changing the URL keeps the secret.
    assert (await n.call("GET", "/merchant/webhook", merchant="m2"))[0] == 404
    _, again = await n.call("PUT", "/merchant/webhook", merchant="m1", json={"url": receiver.url + "?v=2"})
    assert again["secret"] == receiver.secret
    assert (await n.call("DELETE", "/merchant/webhook", merchant="m1"))[0] == 204
    assert (await n.call("GET", "/merchant/webhook", merchant="m1"))[0] == 404


@pytest.mark.parametrize("url", [
    "http://example.com/hook",  # not https
    "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://169.254.169.254/",
    "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://localhost/hook", "https://db.internal/x",
    "https://user:pw@example.com/hook", "ftp://example.com/"])
async def test_outside_development_a_webhook_may_not_point_inside(start_notifications: StartNotifications,
                                                                  url: str) -> None:
    token = secrets.token_urlsafe(32)
    n = await start_notifications(env="production", internal_token=token)
    status, body = await n.call("PUT", "/merchant/webhook", merchant="m1", json={"url": url},
                                headers={"X-Internal-Token": token})
    assert (status, body["code"], body["field"]) == (422, "webhook_url_refused", "url")
    status, _ = await n.call("PUT", "/merchant/webhook", merchant="m1", json={"url": "https://example.com/hook"},
                             headers={"X-Internal-Token": token})
    assert status == 200


async def read_event(stream: Any) -> dict[str, Any]:
    """The next server-sent event (comments skipped) as {id, event, data}, within 10 s: keepalive comments
    arrive every second, so the deadline is for the event, not for each line."""
    fields: dict[str, Any] = {}
    async with asyncio.timeout(10):
        while True:
            line = (await stream.content.readline()).decode().rstrip("\n")
            if line == "" and fields:
                fields["data"] = orjson.loads(fields["data"])
                return fields
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value


async def test_the_stream_shows_the_merchants_own_alerts_as_they_happen(notifications: Notifications) -> None:
    n = notifications
    mine = await n.client.get("/merchant/alerts/stream", headers={"X-Merchant-Id": "m1"})
    theirs = await n.client.get("/merchant/alerts/stream", headers={"X-Merchant-Id": "m2"})
    assert mine.status == 200 and mine.headers["Content-Type"] == "text/event-stream"
    for stream in (mine, theirs):
        assert await stream.content.readline() == b": stream open\n"
    await n.publish(paid("o_other", merchant_id="m2"))
    await n.publish(paid("o1"))
    await n.publish(OrderRefundRequested(order_id="o0", user_id="u1", merchant_id="m1", refund_id="r1",
                                         amount_fen=500, reason="broken"))
    got = sorted([await read_event(mine), await read_event(mine)], key=lambda e: e["event"])
    assert [(e["event"], e["data"]["order_id"]) for e in got] == [("order_paid", "o1"), ("refund_requested", "o0")]
    assert got[1]["data"]["data"] == {"refund_id": "r1", "amount_fen": 500, "reason": "broken"}
    other = await read_event(theirs)
    assert (other["event"], other["data"]["order_id"]) == ("order_paid", "o_other")
    mine.close()
    theirs.close()

    # A console that reconnects with the last id it saw gets what it missed, and only that.
    await n.publish(paid("o2"))
    await eventually(lambda: n.db.fetchval("SELECT true FROM alerts WHERE order_id = 'o2'"))
    last_seen = max(int(e["id"]) for e in got)
    resumed = await n.client.get("/merchant/alerts/stream", headers={"X-Merchant-Id": "m1",
                                                                     "Last-Event-ID": str(last_seen)})
    event = await read_event(resumed)
    assert (event["event"], event["data"]["order_id"]) == ("order_paid", "o2")
    resumed.close()
    status, body = await n.call("GET", "/merchant/alerts", merchant="m1")
    items = [a["order_id"] for a in body["items"]]
    assert status == 200 and items[0] == "o2" and sorted(items[1:]) == ["o0", "o1"]  # newest first; m2's not


async def test_an_alert_committed_after_a_later_one_still_reaches_the_stream(
        notifications: Notifications, database_url: str) -> None:
    """Two transactions raise alerts at once (two consumer workers, a worker and the pickup job, two replicas):
    the one that took its number first may commit last. The stream, which goes on from the last number it
    showed, must still show it."""
    n = notifications
    mine = await n.client.get("/merchant/alerts/stream", headers={"X-Merchant-Id": "m1"})
    assert await mine.content.readline() == b": stream open\n"
    # Another replica's pool: the writers below must not take the connections the stream reads with.
    pool = await create_pool(service_dsn(database_url, "notifications"), "notifications", max_size=3)
    replica = Database(pool, "notifications")

    async def alert(tx: Tx, order_id: str) -> None:
        await flows.raise_alert(tx, "order_paid", "m1", order_id, f"order_paid:{order_id}", {}, datetime.now(UTC))

    async def quick() -> None:
        async with replica.transaction() as tx:
            await alert(tx, "o_quick")

    async def quick_done_or_waiting() -> bool:
        return quick_writer.done() or await pool.fetchval(
            "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")

    shown: list[str] = []
    try:
        async with replica.transaction() as slow:
            await alert(slow, "o_slow")  # numbered first, committed last
            quick_writer = asyncio.create_task(quick())
            await eventually(quick_done_or_waiting)
            if quick_writer.done():  # committed first: the stream shows it now, before o_slow is committed
                shown.append((await read_event(mine))["data"]["order_id"])
        await quick_writer
        async with replica.transaction() as tx:
            await alert(tx, "o_last")
        while "o_last" not in shown:
            shown.append((await read_event(mine))["data"]["order_id"])
    finally:
        mine.close()
        await pool.close()
    assert shown == ["o_slow", "o_quick", "o_last"]


async def test_the_overdue_pickup_job_and_a_batch_closing_its_watch_never_deadlock(
        notifications: Notifications, database_url: str) -> None:
    """A consumer batch raises an alert (holding the alerts' lock until it commits), then closes a pickup watch
    (the order was made ready) while the overdue job runs. The job must not hold that watch while it waits for the
    lock, or each waits on the other (PostgreSQL then aborts one of them)."""
    pool = await create_pool(service_dsn(database_url, "notifications"), "notifications", max_size=3)
    replica = Database(pool, "notifications")
    later = datetime.now(UTC) + timedelta(days=1)  # beyond the running service's own clock: only this job sees it
    await pool.execute("INSERT INTO pickup_watches (order_id, pickup, merchant_id, store_id, paid_at, due_at) "
                       "VALUES ('o_watched', true, 'm1', 'st1', $1, $1)", later)

    async def overdue_job() -> int:
        async with replica.transaction() as tx:
            return await flows.alert_overdue_pickups(tx, later + timedelta(hours=1), 100)

    async def job_waits_on_a_lock() -> bool:
        return await pool.fetchval(
            "SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")

    try:
        async with replica.transaction() as batch:
            await flows.raise_alert(batch, "order_paid", "m1", "o_other", "order_paid:o_other", {}, datetime.now(UTC))
            job = asyncio.create_task(overdue_job())
            await eventually(job_waits_on_a_lock)
            await store.close_watch(batch.conn, "o_watched", "m1")  # made ready: nothing to alert
        assert await job == 0
    finally:
        await pool.close()
    assert await notifications.db.fetchval("SELECT state FROM pickup_watches WHERE order_id = 'o_watched'") == "closed"
    assert await notifications.db.fetchval(
        "SELECT count(*) FROM alerts WHERE kind = 'pickup_not_ready' AND order_id = 'o_watched'") == 0


async def test_a_pickup_order_not_ready_in_time_alerts_the_merchant_once(
        start_notifications: StartNotifications) -> None:
    clock = ManualClock()
    n = await start_notifications(clock=clock, pickup_ready_minutes=30)
    line = Line(sku_id="s1", product_id="p1", qty=1, unit_price_fen=1_000)
    for order_id in ("o_late", "o_ready", "o_held"):
        await n.publish(OrderPlaced(order_id=order_id, user_id="u1", merchant_id="m1", lines=[line],
                                    subtotal_fen=1_000, delivery=Delivery(method="pickup", store_id="st1")))
        # o_held: a group-buy order waiting for its group, which the merchant cannot make ready yet
        await n.publish(paid(order_id).model_copy(update={"group_held": order_id == "o_held"}))
    await n.publish(PickupReady(order_id="o_ready", user_id="u1", merchant_id="m1", store_id="st1"))
    await eventually(lambda: n.db.fetchval(
        "SELECT count(*) = 2 FROM pickup_watches WHERE due_at IS NOT NULL"))
    await eventually(lambda: n.db.fetchval("SELECT state = 'closed' FROM pickup_watches WHERE order_id = 'o_ready'"))
    clock.advance(minutes=31)  # past the 30 minutes after payment (paid at the real time of the event)
    alerts = await eventually(lambda: _alerts(n, "pickup_not_ready"))
    assert [(a["order_id"], a["data"]["store_id"]) for a in alerts] == [("o_late", "st1")]
    assert await n.db.fetchval("SELECT state FROM pickup_watches WHERE order_id = 'o_late'") == "alerted"  # once

    await n.publish(GroupBuySucceeded(group_id="g1", deal_id="d1", merchant_id="m1", order_ids=["o_held"]))
    await eventually(lambda: n.db.fetchval("SELECT due_at IS NOT NULL FROM pickup_watches WHERE order_id = 'o_held'"))
    clock.advance(minutes=62)  # the held order's time to make it ready counts from its group filling

    async def held_alerted() -> list[dict[str, Any]] | None:
        found = await _alerts(n, "pickup_not_ready")
        return found if len(found) == 2 else None

    assert {a["order_id"] for a in await eventually(held_alerted)} == {"o_late", "o_held"}


async def test_only_pickup_orders_are_watched_and_every_paid_order_is_alerted(
        start_notifications: StartNotifications) -> None:
    clock = ManualClock()
    n = await start_notifications(clock=clock, pickup_ready_minutes=30)
    line = Line(sku_id="s1", product_id="p1", qty=1, unit_price_fen=1_000)

    def placed(order_id: str, delivery: Delivery | None) -> OrderPlaced:
        return OrderPlaced(order_id=order_id, user_id="u1", merchant_id="m1", lines=[line], subtotal_fen=1_000,
                           delivery=delivery)

    await n.publish(paid("o_pickup", delivery_method="pickup"))  # order.paid overtook order.placed
    await n.publish(placed("o_pickup", Delivery(method="pickup", store_id="st1")))
    await n.publish(placed("o_express", Delivery(method="express")))
    await n.publish(paid("o_express", delivery_method="express"))
    await n.publish(placed("o_none", None))  # goods that need no delivery
    await n.publish(paid("o_none", delivery_method="none"))

    async def three_paid() -> list[dict[str, Any]] | None:
        found = await _alerts(n, "order_paid")
        return found if len(found) == 3 else None

    await handled_up_to(lambda: asyncio.sleep(0), three_paid, n.client.server.app[BUS])  # every event handled
    assert {a["order_id"] for a in await three_paid() or []} == {"o_pickup", "o_express", "o_none"}
    await eventually(lambda: n.db.fetchval("SELECT due_at IS NOT NULL FROM pickup_watches WHERE order_id = 'o_pickup'"))
    assert await n.db.fetchval("SELECT array_agg(order_id) FROM pickup_watches") == ["o_pickup"], \
        "the others need no watch"
    clock.advance(minutes=31)
    alerts = await eventually(lambda: _alerts(n, "pickup_not_ready"))
    assert [a["order_id"] for a in alerts] == ["o_pickup"]


async def _alerts(n: Notifications, kind: str) -> list[dict[str, Any]]:
    _, body = await n.call("GET", "/merchant/alerts", merchant="m1")
    return [a for a in body["items"] if a["type"] == kind]



async def test_a_rotated_secret_overlaps_so_receivers_with_either_secret_accept(
        start_notifications: StartNotifications, receiver: Receiver) -> None:
    """Rotation: deliveries carry `v1=<new>,v1=<old>` during the overlap, so a receiver still on the old
    secret and one already on the new both verify; after the window only the new secret signs."""
    clock = receiver.clock = ManualClock()
    n = await start_notifications(clock=clock)
    assert (await n.call("POST", "/merchant/webhook/rotate-secret", merchant="m1"))[1]["code"] == "webhook_not_set"
    await set_webhook(n, receiver)
    old = receiver.secret
    status, rotated = await n.call("POST", "/merchant/webhook/rotate-secret", merchant="m1")
    assert status == 200 and rotated["secret"] != old and len(rotated["secret"]) == 64
    assert rotated["previous_secret_until"] is not None
    assert (await n.call("GET", "/merchant/webhook", merchant="m1"))[1] == rotated

    assert (await n.call("POST", "/merchant/webhook/test", merchant="m1"))[1]["delivered"]  # the old receiver
    receiver.secret = rotated["secret"]
    await n.publish(paid("o-rot"))  # an alert, the new receiver
    await eventually(lambda: _delivered(n))
    test, alert = receiver.received
    assert test["verified"] and alert["verified"]
    assert len(test["signature"].split(",")) == 2
    at = clock.now().timestamp()
    assert not any(verify("another-secret", r["timestamp"], r["signature"], r["raw"], now=at)
                   for r in receiver.received)

    clock.advance(days=1, seconds=1)  # the overlap is over: the old secret no longer signs
    status, hook = await n.call("GET", "/merchant/webhook", merchant="m1")
    assert hook["previous_secret_until"] is None
    await n.call("POST", "/merchant/webhook/test", merchant="m1")
    last = receiver.received[-1]
    assert last["verified"] and len(last["signature"].split(",")) == 1
    assert not verify(old, last["timestamp"], last["signature"], last["raw"], now=clock.now().timestamp())
