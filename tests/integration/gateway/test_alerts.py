"""Messages and alerts through the gateway on the real services and the Alipay sandbox: a buyer who granted
the "paid" template gets one Alipay message when the order is paid, and the merchant's console stream shows
the new paid order at once, while another merchant's stream shows nothing of it."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_pickup import paid_pickup_order
from tests.support import eventually

BUYER_ALIPAY_ID = "2088000000000099"  # the Alipay user id in the test mall's buyer tokens


async def next_line(stream: Any) -> str:
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), 20)).decode().rstrip("\n")
        if line:
            return line


async def next_event(stream: Any) -> dict[str, Any]:
    fields: dict[str, str] = {}
    while "data" not in fields:
        line = await next_line(stream)
        if not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    return {**fields, "data": orjson.loads(fields["data"])}


async def test_a_paid_order_messages_the_buyer_once_and_alerts_only_its_merchant(mall: Mall) -> None:
    gw = mall.gateway
    templates = {t["kind"]: t["template_id"] for t in (await (await gw.get(
        "/api/me/subscriptions", headers=mall.user())).json())["templates"]}
    resp = await gw.post("/api/me/subscriptions", json={"template_ids": [templates["order_paid"]]},
                         headers=mall.user())
    assert resp.status == 204, await resp.text()
    assert (await gw.get("/api/merchant/alerts/stream", headers=mall.user())).status == 403  # staff only

    mine = await gw.get("/api/merchant/alerts/stream", headers=mall.staff())
    assert mine.status == 200 and mine.headers["Content-Type"] == "text/event-stream"
    assert await next_line(mine) == ": stream open"

    order = await paid_pickup_order(mall)
    event = await next_event(mine)
    assert (event["event"], event["data"]["order_id"], event["data"]["merchant_id"]) == (
        "order_paid", order["id"], "mch_001")
    assert event["data"]["data"]["payable_fen"] == 10_000
    mine.close()

    # Another merchant, even replaying its stream from the very start, sees nothing of it: its first line
    # after opening is a keepalive, sent only once a read of its alerts came back empty.
    theirs = await gw.get("/api/merchant/alerts/stream", headers={**mall.staff("mch_002"), "Last-Event-ID": "0"})
    assert await next_line(theirs) == ": stream open"
    assert await next_line(theirs) == ": keepalive"
    theirs.close()
    assert (await (await gw.get("/api/merchant/alerts", headers=mall.staff("mch_002"))).json())["items"] == []

    async def messages() -> list[dict[str, Any]] | None:
        resp = await mall.sandbox.get("/sandbox/messages", params={"to_user_id": BUYER_ALIPAY_ID})
        items = (await resp.json())["items"]
        return items or None

    sent = await eventually(messages)
    assert [(m["user_template_id"], m["data"]["keyword1"]["value"]) for m in sent] == [
        (templates["order_paid"], order["id"])]
    mine_now = (await (await gw.get("/api/me/subscriptions", headers=mall.user())).json())
    assert [(m["kind"], m["status"]) for m in mine_now["messages"]] == [("order_paid", "sent")]
