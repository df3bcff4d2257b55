"""A running orders service on this test's database and bus, a manual clock, and a publisher that speaks
for the other services (catalog, marketing, payments) by publishing their events on the test's prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from shared.bus import Bus
from shared.clock import ManualClock
from shared.db import Database
from shared.events.base import Event, EventData
from shared.events.catalog import SkuChanged
from shared.service import DB
from tests.support import eventually

PRODUCERS = {"sku.": "catalog", "stock.": "catalog", "flash_sale.": "catalog",
             "promotion.": "marketing", "payment.": "payments", "pickup.": "fulfilment"}


@dataclass
class Mall:
    client: TestClient
    clock: ManualClock
    bus: Bus
    skus: dict[str, int] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.client.server.app[DB]

    async def publish(self, data: EventData, *, times: int = 1) -> Event[Any]:
        """Publish as the producing service would; `times` > 1 redelivers the very same event."""
        producer = next(p for prefix, p in PRODUCERS.items() if data.TYPE.startswith(prefix))
        envelope = Event.wrap(data, producer=producer)
        for _ in range(times):
            await self.bus.publish_event(envelope)
        return envelope

    async def add_sku(self, sku_id: str, *, price_fen: int = 1000, merchant_id: str = "m1", sellable: bool = True,
                      deposit_fen: int = 0, name: str | None = None, revision: int | None = None) -> None:
        self.skus[sku_id] = revision or self.skus.get(sku_id, 0) + 1
        await self.publish(SkuChanged(
            sku_id=sku_id, product_id=f"p-{sku_id}", merchant_id=merchant_id, category_id="c1",
            name=name or f"商品 {sku_id}", specs={}, price_fen=price_fen, deposit_fen=deposit_fen,
            sellable=sellable, revision=self.skus[sku_id]))
        await eventually(lambda: self.db.fetchval(
            "SELECT 1 FROM skus WHERE sku_id = $1 AND revision >= $2", sku_id, self.skus[sku_id]))

    async def place(self, user: str = "u1", key: str | None = None, **body: Any) -> dict[str, Any]:
        body.setdefault("items", [{"sku_id": "s1", "qty": 2}])
        resp = await self.client.post("/orders", json=body, headers={
            "X-User-Id": user, "Idempotency-Key": key or uuid.uuid4().hex})
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def order(self, order_id: str, user: str = "u1", wait_ms: int = 0) -> dict[str, Any]:
        resp = await self.client.get(f"/orders/{order_id}", params={"wait_ms": wait_ms}, headers={"X-User-Id": user})
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def status_becomes(self, order_id: str, status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            order = await self.order(order_id)
            return order if order["status"] == status else None

        return await eventually(probe, timeout=10)

    async def emitted(self, event_type: str, order_id: str | None = None) -> list[dict[str, Any]]:
        """The events orders wrote to its outbox (what every other service will receive)."""
        rows = await self.db.fetch("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
        data = [orjson.loads(bytes(r["payload"]))["data"] for r in rows]
        return [d for d in data if order_id is None or d.get("order_id") == order_id]

    async def call(self, method: str, path: str, *, user: str | None = "u1", merchant: str | None = None,
                   key: str | None = None, json: Any = None) -> tuple[int, Any]:
        headers = {}
        if user:
            headers["X-User-Id"] = user
        if merchant:
            headers["X-Merchant-Id"] = merchant
        if key:
            headers["Idempotency-Key"] = key
        resp = await self.client.request(method, path, json=json, headers=headers)
        return resp.status, await resp.json()


MakeMall = Callable[..., Any]


@pytest.fixture
async def make_mall(settings_for, start_app, amqp_url, bus_prefix) -> AsyncIterator[MakeMall]:
    """make_mall(**settings) -> a Mall; several calls give replicas of the service on one database."""
    buses: list[Bus] = []
    clock = ManualClock(datetime(2025, 3, 1, 10, 0, tzinfo=UTC))

    async def make(**overrides: Any) -> Mall:
        overrides.setdefault("deadline_poll_seconds", 3600)  # tests run deadline passes by hand
        settings = settings_for(OrdersSettings, **overrides)
        client = await start_app(create_app(settings, clock=clock))
        bus = Bus(amqp_url, prefix=bus_prefix, service="test-publisher")
        await bus.connect()
        buses.append(bus)
        return Mall(client, clock, bus)

    yield make
    for bus in buses:
        await bus.close()


@pytest.fixture
async def mall(make_mall: MakeMall) -> Mall:
    mall = await make_mall()
    await mall.add_sku("s1", price_fen=1000, deposit_fen=500)
    return mall
