"""The marketing service on real PostgreSQL and RabbitMQ, a publisher for other services' events, and a
read-only look at its tables and outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from services.marketing.app import create_app
from services.marketing.settings import MarketingSettings
from shared.bus import Bus
from shared.clock import ManualClock
from shared.events.base import Event, EventData

MERCHANT = "mch_t1"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def market(settings_for: Any, start_app: Any, clock: ManualClock) -> TestClient:
    settings = settings_for(MarketingSettings, qr_secret="test-secret", db_pool_max=12)
    return await start_app(create_app(settings, clock=clock))


@pytest.fixture
async def sql(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "marketing"})
    yield conn
    await conn.close()


class Publisher:
    """Publishes events as their producers would (same exchange, routing key = event type)."""

    def __init__(self, bus: Bus):
        self.bus = bus

    async def send(self, data: EventData, producer: str = "test") -> Event[Any]:
        event = Event.wrap(data, producer=producer)
        await self.bus.publish_event(event)
        return event


@pytest.fixture
async def publish(amqp_url: str, bus_prefix: str) -> AsyncIterator[Publisher]:
    bus = Bus(amqp_url, prefix=bus_prefix, service="testpub")
    await bus.connect()
    yield Publisher(bus)
    await bus.close()


def user(user_id: str, score: int | None = None, key: bool = True) -> dict[str, str]:
    headers = {"X-User-Id": user_id}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    if score is not None:
        headers["X-User-Credit-Score"] = str(score)
    return headers


def staff(merchant: str = MERCHANT) -> dict[str, str]:
    return {"X-Merchant-Id": merchant}


async def make_campaign(client: TestClient, merchant: str = MERCHANT, **fields: Any) -> dict[str, Any]:
    resp = await client.post("/merchant/campaigns", json={"name": "test", **fields}, headers=staff(merchant))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def make_template(client: TestClient, campaign_id: str, merchant: str = MERCHANT,
                        **fields: Any) -> dict[str, Any]:
    body = {"name": "coupon", "kind": "fixed", "amount_fen": 500, "total_qty": 100, "valid_days": 7, **fields}
    resp = await client.post(f"/merchant/campaigns/{campaign_id}/templates", json=body, headers=staff(merchant))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def outbox(sql: asyncpg.Connection, event_type: str) -> list[dict[str, Any]]:
    import orjson

    rows = await sql.fetch("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
    return [orjson.loads(r["payload"])["data"] for r in rows]
