"""Fixtures of the payments tests: throwaway key pairs, the Alipay sandbox in-process, a client on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from services.alipay_sandbox.app import create_app as create_sandbox
from services.alipay_sandbox.settings import SandboxSettings
from services.payments.app import create_app as create_payments
from services.payments.deps import PaymentsDeps, deps_of
from services.payments.settings import PaymentsSettings
from shared.alipay import AlipayClient, KeyPair, generate_key_pair
from shared.bus import Bus
from shared.clock import Clock
from shared.events.base import Event, EventData
from shared.events.orders import OrderCancelled, OrderConfirmed, OrderRefundApproved
from tests.support import eventually, held_address, server_on

APP_ID = "2021000000000001"


@dataclass(frozen=True)
class Keys:
    app: KeyPair
    alipay: KeyPair


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(app=generate_key_pair(), alipay=generate_key_pair())


@dataclass
class RunningSandbox:
    client: TestClient
    gateway_url: str

    async def auth_code(self, **body: Any) -> dict[str, Any]:
        resp = await self.client.post("/sandbox/auth-codes", json=body)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def pay(self, trade_no: str, channel: str | None = None, *, notify: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"channel": channel} if channel else {}
        if not notify:
            body["notify"] = False  # a notify Alipay never manages to deliver
        resp = await self.client.post(f"/sandbox/trades/{trade_no}/pay", json=body)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def trade(self, trade_no: str) -> dict[str, Any]:
        return await (await self.client.get(f"/sandbox/trades/{trade_no}")).json()

    async def notifies(self, trade_no: str | None = None) -> list[dict[str, Any]]:
        params = {"trade_no": trade_no} if trade_no else {}
        return (await (await self.client.get("/sandbox/notifies", params=params)).json())["items"]


@pytest.fixture
async def sandbox(keys: Keys, start_app: Any) -> RunningSandbox:
    settings = SandboxSettings(alipay_app_id=APP_ID, alipay_app_public_key=keys.app.public_pem,
                               alipay_private_key=keys.alipay.private_pem,
                               notify_retry_delays_s=[0.1, 0.2, 0.3, 0.5])
    client = await start_app(create_sandbox(settings))
    return RunningSandbox(client, str(client.make_url("/gateway.do")))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def alipay(sandbox: RunningSandbox, keys: Keys, http: aiohttp.ClientSession) -> AlipayClient:
    return AlipayClient(sandbox.gateway_url, APP_ID, keys.app.private_pem, keys.alipay.public_pem, http)


# --- the payments service with the sandbox, driven by events as orders would --------------------------------




BUYER = "2088102116773037"


@dataclass
class Mall:
    """Payments on real servers, the sandbox beside it, and an "orders" that publishes events."""

    client: TestClient
    sandbox: RunningSandbox
    bus: Bus
    db: asyncpg.Pool
    ctx: PaymentsDeps

    async def publish(self, data: EventData) -> None:
        await self.bus.publish_event(Event.wrap(data, producer="orders"))

    async def confirm_order(self, user_id: str, payable_fen: int, *, deposit_fen: int = 0,
                            order_id: str | None = None, minutes: int = 30, merchant_id: str = "m1") -> str:
        order_id = order_id or f"o-{uuid.uuid4().hex[:10]}"
        await self.publish(OrderConfirmed(
            order_id=order_id, user_id=user_id, merchant_id=merchant_id, subject="雨伞 umbrella",
            subtotal_fen=payable_fen, discount_fen=0, points_fen=0, payable_fen=payable_fen, deposit_fen=deposit_fen,
            pay_by=datetime.now(UTC) + timedelta(minutes=minutes)))
        await eventually(lambda: self.db.fetchval("SELECT 1 FROM payable_orders WHERE order_id = $1", order_id))
        return order_id

    async def cancel_order(self, order_id: str, user_id: str) -> None:
        await self.publish(OrderCancelled(order_id=order_id, user_id=user_id, merchant_id="m1",
                                          reason="user_cancelled"))

    async def approve_refund(self, order_id: str, user_id: str, refund_id: str, amount_fen: int) -> None:
        await self.publish(OrderRefundApproved(order_id=order_id, user_id=user_id, merchant_id="m1",
                                               refund_id=refund_id, amount_fen=amount_fen, reason="test"))

    async def pay(self, order_id: str, user_id: str, *, score: int | None = 700, key: str | None = None,
                  buyer: str | None = BUYER, **body: Any) -> aiohttp.ClientResponse:
        headers = {"X-User-Id": user_id, "Idempotency-Key": key or uuid.uuid4().hex}
        if score is not None:
            headers["X-User-Credit-Score"] = str(score)
        if buyer:
            headers["X-Alipay-User-Id"] = buyer
        return await self.client.post(f"/orders/{order_id}/pay", json=body, headers=headers)

    async def set_offers(self, merchant_id: str, offers: list[dict[str, Any]]) -> aiohttp.ClientResponse:
        """The merchant's Huabei offers, as its staff sets them (the gateway sends `X-Merchant-Id`)."""
        return await self.client.put("/merchant/huabei-offers", json={"offers": offers},
                                     headers={"X-Merchant-Id": merchant_id})

    async def check(self, order_id: str, user_id: str) -> aiohttp.ClientResponse:
        """The buyer is back from the cashier: `POST /orders/{id}/payment-check` as the gateway sends it."""
        return await self.client.post(f"/orders/{order_id}/payment-check", headers={"X-User-Id": user_id})

    async def top_up(self, user_id: str, amount_fen: int) -> dict[str, Any]:
        resp = await self.client.post("/me/balance/top-ups", json={"amount_fen": amount_fen}, headers={
            "X-User-Id": user_id, "Idempotency-Key": uuid.uuid4().hex, "X-Alipay-User-Id": BUYER})
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
        return [orjson.loads(r["payload"])["data"] for r in rows]

    async def payment(self, payment_id: str) -> asyncpg.Record:
        return await self.db.fetchrow("SELECT * FROM payments WHERE id = $1", payment_id)

    async def wait_status(self, payment_id: str, status: str) -> None:
        async def probe() -> bool:
            row = await self.payment(payment_id)
            return row is not None and row["status"] == status
        await eventually(probe, timeout=10)


@pytest.fixture
def payments_clock() -> Clock | None:
    """The clock payments runs on: the real one, unless a test module overrides this fixture."""
    return None


@pytest.fixture
async def mall(sandbox: RunningSandbox, keys: Keys, settings_for: Any, database_url: str, amqp_url: str,
               bus_prefix: str, payments_clock: Clock | None) -> AsyncIterator[Mall]:
    address = held_address()  # named in the notify URL before the server starts
    port = address.getsockname()[1]
    settings = settings_for(
        PaymentsSettings, alipay_gateway_url=sandbox.gateway_url, alipay_app_id=APP_ID,
        alipay_app_private_key=keys.app.private_pem, alipay_public_key=keys.alipay.public_pem,
        alipay_notify_url=f"http://127.0.0.1:{port}/alipay/notify", alipay_seller_id="2088000000000001",
        reconcile_interval_s=3600, reconcile_after_s=0, db_pool_max=20)
    app = create_payments(settings, clock=payments_clock)
    client = TestClient(server_on(app, address))
    await client.start_server()
    bus = Bus(amqp_url, prefix=bus_prefix, service="orders_probe")
    await bus.connect()
    db = await asyncpg.create_pool(database_url, min_size=1, max_size=5, server_settings={"search_path": "payments"})
    try:
        yield Mall(client, sandbox, bus, db, deps_of(app))
    finally:
        await db.close()
        await bus.close()
        await client.close()
        await asyncio.sleep(0)
