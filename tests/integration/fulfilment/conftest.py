"""A running fulfilment service on this test's database and bus, and a publisher that speaks for orders and
catalog by publishing their events on the test's prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.fulfilment.app import create_app
from services.fulfilment.settings import FulfilmentSettings
from shared.bus import Bus
from shared.db import Database
from shared.events.base import Event, EventData
from shared.service import DB


@dataclass
class Fulfilment:
    client: TestClient
    bus: Bus

    @property
    def db(self) -> Database:
        return self.client.server.app[DB]

    async def publish(self, data: EventData, *, times: int = 1) -> Event[Any]:
        producer = "catalog" if data.TYPE.startswith("store.") else "orders"
        envelope = Event.wrap(data, producer=producer)
        for _ in range(times):
            await self.bus.publish_event(envelope)
        return envelope

    async def call(self, method: str, path: str, *, user: str | None = None, merchant: str | None = None,
                   json: Any = None) -> tuple[int, Any]:
        headers = {k: v for k, v in (("X-User-Id", user), ("X-Merchant-Id", merchant)) if v}
        resp = await self.client.request(method, path, json=json, headers=headers)
        return resp.status, (await resp.json() if resp.status != 204 else None)


@pytest.fixture
async def fulfilment(settings_for: Any, start_app: Any, amqp_url: str, bus_prefix: str) -> AsyncIterator[Fulfilment]:
    # Three wrong pickup codes per store and hour, so the guessing limit is quick to reach.
    client = await start_app(create_app(settings_for(FulfilmentSettings, pickup_misses_per_window=3,
                                                     pickup_miss_window_seconds=3600)))
    bus = Bus(amqp_url, prefix=bus_prefix, service="test-publisher")
    await bus.connect()
    try:
        yield Fulfilment(client, bus)
    finally:
        await bus.close()
