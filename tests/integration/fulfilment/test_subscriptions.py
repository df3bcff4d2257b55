"""Subscribing shipped waybills at 快递100 (the logistics sandbox here) from fulfilment's job: never inside the
event's transaction, retried while the provider cannot be reached, done once it accepts."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from services.fulfilment.app import create_app
from services.fulfilment.settings import FulfilmentSettings
from services.logistics_sandbox.app import create_app as create_sandbox
from services.logistics_sandbox.settings import LogisticsSandboxSettings
from shared.bus import Bus
from shared.events.common import Line
from shared.events.orders import Delivery, DeliveryAddress, OrderPlaced, OrderShipped
from tests.integration.fulfilment.conftest import Fulfilment
from tests.integration.gateway.conftest import free_port
from tests.support import eventually

KEY, SALT = "test-kuaidi100-key-subscriptions", "test-kuaidi100-salt-subscriptions"
ADDRESS = DeliveryAddress(name="张三", phone="13800138000", province="浙江省", city="杭州市", district="西湖区",
                          detail="文三路1号", region_code="330106")


async def test_a_subscription_is_retried_until_the_provider_takes_it(settings_for: Any, start_app: Any,
                                                                      amqp_url: str, bus_prefix: str) -> None:
    port = free_port()  # where the provider will be; nothing listens there yet
    client = await start_app(create_app(settings_for(
        FulfilmentSettings, kuaidi100_url=f"http://127.0.0.1:{port}/poll", kuaidi100_key=KEY, kuaidi100_salt=SALT,
        kuaidi100_callback_url="http://127.0.0.1:9/api/logistics/notify", subscribe_poll_seconds=0.1,
        subscribe_retry_seconds=0.3)))
    bus = Bus(amqp_url, prefix=bus_prefix, service="test-publisher")
    await bus.connect()
    f = Fulfilment(client, bus)
    try:
        # order.shipped first (a backlog is consumed concurrently, so it may overtake order.placed), twice
        await f.publish(OrderShipped(order_id="o1", user_id="u1", merchant_id="m1", carrier="shunfeng",
                                     tracking_no="SF1234567890123"), times=2)  # a repeat: one subscription
        await eventually(lambda: f.db.fetchval("SELECT 1 FROM early_shipments WHERE order_id = 'o1'"))
        await f.publish(OrderPlaced(order_id="o1", user_id="u1", merchant_id="m1", subtotal_fen=1_000,
                                    lines=[Line(sku_id="s1", product_id="p1", qty=1, unit_price_fen=1_000)],
                                    delivery=Delivery(method="express", address=ADDRESS)))

        async def row() -> dict[str, Any] | None:
            found = await f.db.fetchrow("SELECT state, attempts, last_code FROM subscriptions WHERE order_id = 'o1'")
            return dict(found) if found is not None and found["attempts"] >= 2 else None

        failing = await eventually(row, timeout=15)
        assert (failing["state"], failing["last_code"]) == ("pending", "unreachable")

        sandbox = TestClient(TestServer(create_sandbox(LogisticsSandboxSettings(kuaidi100_key=KEY)), port=port))
        await sandbox.start_server()  # the provider is back
        try:
            async def accepted() -> bool:
                return await f.db.fetchval("SELECT state FROM subscriptions WHERE order_id = 'o1'") == "accepted"

            await eventually(accepted, timeout=15)
            shipments = (await (await sandbox.get("/sandbox/shipments")).json())["items"]
            assert shipments == [{"company": "shunfeng", "number": "SF1234567890123", "state": "0"}]
            assert await f.db.fetchval("SELECT count(*) FROM subscriptions") == 1
        finally:
            await sandbox.close()
    finally:
        await bus.close()
