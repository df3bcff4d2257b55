"""A running notifications service on this test's database and bus, the Alipay sandbox it sends messages to
(real RSA2 both ways), and a publisher that speaks for orders and fulfilment by publishing their events on
the test's prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.alipay import KeyPair, generate_key_pair
from shared.bus import Bus
from shared.clock import Clock
from shared.db import Database
from shared.events.base import Event, EventData
from shared.service import DB

APP_ID = "2021000000000001"
BUYER_ALIPAY_ID = "2088000000000042"


@dataclass
class Notifications:
    client: TestClient
    sandbox: TestClient
    bus: Bus

    @property
    def db(self) -> Database:
        return self.client.server.app[DB]

    async def publish(self, data: EventData, *, times: int = 1) -> Event[Any]:
        """The same envelope `times` times (a redelivery: the same event id)."""
        producer = "fulfilment" if data.TYPE.startswith("pickup.") else "orders"
        envelope = Event.wrap(data, producer=producer)
        for _ in range(times):
            await self.bus.publish_event(envelope)
        return envelope

    async def call(self, method: str, path: str, *, user: str | None = None, merchant: str | None = None,
                   alipay_user: str | None = BUYER_ALIPAY_ID, json: Any = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent = {k: v for k, v in (("X-User-Id", user), ("X-Merchant-Id", merchant)) if v}
        if user and alipay_user:
            sent["X-Alipay-User-Id"] = alipay_user
        sent.update(headers or {})
        resp = await self.client.request(method, path, json=json, headers=sent)
        return resp.status, (await resp.json() if resp.status != 204 else None)

    async def sent_messages(self, to_user_id: str = BUYER_ALIPAY_ID) -> list[dict[str, Any]]:
        resp = await self.sandbox.get("/sandbox/messages", params={"to_user_id": to_user_id})
        return list((await resp.json())["items"])


StartNotifications = Callable[..., Awaitable[Notifications]]


@pytest.fixture(scope="session")
def alipay_keys() -> tuple[KeyPair, KeyPair]:
    """(the mall's app key pair, the sandbox's key pair standing in for Alipay's)."""
    return generate_key_pair(), generate_key_pair()


@pytest.fixture
async def start_notifications(settings_for: Any, start_app: Any, amqp_url: str, bus_prefix: str,
                              alipay_keys: tuple[KeyPair, KeyPair]) -> AsyncIterator[StartNotifications]:
    app_keys, sandbox_keys = alipay_keys
    bus = Bus(amqp_url, prefix=bus_prefix, service="test-publisher")
    await bus.connect()

    async def start(clock: Clock | None = None, **overrides: Any) -> Notifications:
        sandbox = await start_app(create_sandbox(SandboxSettings(
            alipay_app_id=APP_ID, alipay_app_public_key=app_keys.public_pem,
            alipay_private_key=sandbox_keys.private_pem)))
        values: dict[str, Any] = {
            "alipay_gateway_url": str(sandbox.make_url("/gateway.do")), "alipay_app_id": APP_ID,
            "alipay_app_private_key": app_keys.private_pem, "alipay_public_key": sandbox_keys.public_pem,
            "message_poll_seconds": 0.1, "message_retry_seconds": 0.1, "message_max_attempts": 3,
            "webhook_poll_seconds": 0.1, "webhook_retry_seconds": 0.2, "webhook_max_attempts": 4,
            "pickup_check_seconds": 0.1, "stream_keepalive_seconds": 1.0, **overrides}
        client = await start_app(create_app(settings_for(NotificationsSettings, **values), clock=clock))
        return Notifications(client, sandbox, bus)

    try:
        yield start
    finally:
        await bus.close()


@pytest.fixture
async def notifications(start_notifications: StartNotifications) -> Notifications:
    return await start_notifications()
