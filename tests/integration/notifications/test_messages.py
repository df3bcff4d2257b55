"""Buyers' Alipay subscription messages on the real bus, database and Alipay sandbox: one message per fact
even when events repeat, one message per grant, retried when Alipay is busy, parked when it stays so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifications.domain import BEIJING
from shared.events.base import Event
from shared.events.common import Line
from shared.events.fulfilment import PickupReady
from shared.events.orders import OrderDelivered, OrderPaid, OrderRefunded, OrderShipped
from shared.service import BUS
from tests.integration.notifications.conftest import BUYER_ALIPAY_ID, Notifications
from tests.support import eventually, handled_up_to

TEMPLATES = {kind: f"TPL_{kind.upper()}" for kind in
             ("order_paid", "order_shipped", "pickup_ready", "order_delivered", "order_refunded")}
WHO = {"user_id": "u1", "merchant_id": "m1"}


def paid(order_id: str, amount_fen: int = 12_345) -> OrderPaid:
    return OrderPaid(order_id=order_id, payable_fen=amount_fen, method="alipay", **WHO)


async def grant(n: Notifications, *template_ids: str, user: str = "u1") -> None:
    status, body = await n.call("POST", "/me/subscriptions", user=user, json={"template_ids": list(template_ids)})
    assert status == 200, body


async def settled(n: Notifications) -> None:
    """Every event published so far handled, and no message left to send (sent, refused or parked)."""
    marker: list[Event[Any]] = []

    async def publish_marker() -> None:
        marker.append(await n.publish(OrderDelivered(order_id="o_marker", user_id="u_nobody", merchant_id="m1")))

    await handled_up_to(publish_marker, lambda: n.db.fetchval("SELECT true FROM inbox WHERE event_id = $1",
                                                              marker[0].id), n.client.server.app[BUS])
    await eventually(lambda: n.db.fetchval("SELECT count(*) = 0 FROM messages WHERE status = 'pending'"))


async def test_each_buyer_message_reaches_alipay_once_even_when_events_repeat(notifications: Notifications) -> None:
    n = notifications
    await grant(n, *TEMPLATES.values())
    facts = [paid("o1"), OrderShipped(order_id="o1", carrier="shunfeng", tracking_no="SF100", **WHO),
             PickupReady(order_id="o1", store_id="st1", **WHO), OrderDelivered(order_id="o1", **WHO),
             OrderRefunded(order_id="o1", refund_id="r1", amount_fen=5_000, restock=False,
                           lines=[Line(sku_id="s1", product_id="p1", qty=1, unit_price_fen=5_000)], **WHO)]
    for fact in facts:
        await n.publish(fact, times=2)  # redelivered: the same event id twice
        await n.publish(fact)  # reported again: a new event id, the same fact
    await grant(n, *TEMPLATES.values())  # grants left over must not be spent on the repeats either

    await eventually(lambda: _at_least(n, 5))
    await settled(n)
    sent = await n.sent_messages()
    assert sorted(m["user_template_id"] for m in sent) == sorted(TEMPLATES.values())  # each exactly once
    by_template = {m["user_template_id"]: m for m in sent}
    assert all(m["to_user_id"] == BUYER_ALIPAY_ID and m["page"] == "pages/order/detail?id=o1" for m in sent)
    assert by_template["TPL_ORDER_PAID"]["data"]["keyword1"] == {"value": "o1"}
    assert by_template["TPL_ORDER_PAID"]["data"]["keyword2"] == {"value": "已支付 ¥123.45"}
    when = datetime.strptime(by_template["TPL_ORDER_PAID"]["data"]["keyword3"]["value"], "%Y-%m-%d %H:%M")
    assert abs(datetime.now(UTC) - when.replace(tzinfo=BEIJING)) < timedelta(minutes=2)  # Beijing time
    assert by_template["TPL_ORDER_SHIPPED"]["data"]["keyword2"] == {"value": "已发货 shunfeng SF100"}
    assert by_template["TPL_ORDER_REFUNDED"]["data"]["keyword2"] == {"value": "已退款 ¥50.00"}
    status, mine = await n.call("GET", "/me/subscriptions", user="u1")
    assert status == 200
    assert {t["kind"]: t["unused_grants"] for t in mine["templates"]} == dict.fromkeys(TEMPLATES, 1)
    assert sorted(m["status"] for m in mine["messages"]) == ["sent"] * 5


async def _at_least(n: Notifications, count: int) -> list[dict[str, Any]] | None:
    sent = await n.sent_messages()
    return sent if len(sent) >= count else None


async def test_a_grant_is_one_message_and_no_grant_is_no_message(notifications: Notifications) -> None:
    n = notifications
    await grant(n, TEMPLATES["order_paid"])
    await n.publish(paid("o1"))
    await n.publish(paid("o2"))  # the one grant is spent on whichever is handled first
    await n.publish(OrderShipped(order_id="o1", **WHO))  # never granted
    await settled(n)
    sent = await n.sent_messages()
    assert [m["user_template_id"] for m in sent] == ["TPL_ORDER_PAID"]
    assert sent[0]["data"]["keyword1"]["value"] in ("o1", "o2")


async def test_a_busy_alipay_is_retried_and_a_lasting_failure_parks_the_message(notifications: Notifications) -> None:
    n = notifications
    await grant(n, TEMPLATES["order_paid"], TEMPLATES["order_paid"])
    await n.sandbox.post("/sandbox/messages/failures", json={"count": 2})  # busy twice, then fine
    await n.publish(paid("o1"))
    await settled(n)
    assert [m["data"]["keyword1"]["value"] for m in await n.sent_messages()] == ["o1"]
    row = await n.db.fetchrow("SELECT status, attempts FROM messages WHERE dedupe_key = 'order_paid:o1'")
    assert (row["status"], row["attempts"]) == ("sent", 3)

    await n.sandbox.post("/sandbox/messages/failures", json={"count": 3})  # busy for all 3 attempts
    await n.publish(paid("o2"))
    await settled(n)
    row = await n.db.fetchrow("SELECT status, attempts, last_error FROM messages WHERE dedupe_key = 'order_paid:o2'")
    assert (row["status"], row["attempts"]) == ("parked", 3) and "20000" in row["last_error"]
    assert len(await n.sent_messages()) == 1


async def test_grants_are_checked(notifications: Notifications) -> None:
    n = notifications
    status, body = await n.call("POST", "/me/subscriptions", user="u1", json={"template_ids": ["TPL_NOPE"]})
    assert (status, body["code"], body["field"]) == (422, "unknown_template", "template_ids")
    status, body = await n.call("POST", "/me/subscriptions", user="u1", alipay_user=None,
                                json={"template_ids": [TEMPLATES["order_paid"]]})
    assert (status, body["code"]) == (409, "no_alipay_account")
    key = {"Idempotency-Key": "grant-1"}
    for _ in range(2):  # a retried request grants nothing more
        status, _body = await n.call("POST", "/me/subscriptions", user="u1", headers=key,
                                     json={"template_ids": [TEMPLATES["order_paid"]]})
        assert status == 200
    _, mine = await n.call("GET", "/me/subscriptions", user="u1")
    assert {t["kind"]: t["unused_grants"] for t in mine["templates"]}["order_paid"] == 1
    _, theirs = await n.call("GET", "/me/subscriptions", user="u2")
    assert all(t["unused_grants"] == 0 for t in theirs["templates"])
