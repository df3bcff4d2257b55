"""A running catalog service on this test's database and bus, and ways to feed it and watch it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from services.catalog.app import create_app
from services.catalog.flows import catalogue as commands
from services.catalog.flows.catalogue import ProductDraft, SkuDraft
from services.catalog.settings import CatalogSettings
from shared.bus import Bus
from shared.clock import Clock
from shared.db import Database
from shared.events.base import Event, EventData
from shared.events.common import Line
from shared.events.orders import OrderPlaced
from shared.service import DB

MERCHANT = "mch_t1"


@dataclass
class Catalog:
    client: TestClient
    db: Database

    async def product(self, name: str, *, price_fen: int = 1000, stock: int = 10, category_id: str | None = None,
                      brand: str = "", barcode: str | None = None, merchant_id: str = MERCHANT,
                      sold: int = 0) -> tuple[str, str]:
        """A product with one SKU; returns (product_id, sku_id)."""
        draft = ProductDraft(merchant_id=merchant_id, name=name, category_id=category_id, brand=brand,
                             skus=[SkuDraft(specs={"规格": "标准"}, price_fen=price_fen, stock=stock, barcode=barcode)])
        async with self.db.transaction() as tx:
            await commands.save_product(tx, draft)
            if sold:
                await tx.conn.execute("UPDATE products SET sold = $2 WHERE id = $1", draft.id, sold)
        return draft.id, draft.skus[0].id

    async def stock(self, sku_id: str) -> dict[str, int]:
        row = await self.db.fetchrow("SELECT available, reserved, sold FROM skus WHERE id = $1", sku_id)
        assert row is not None
        return dict(row)

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The events the catalog wrote to its outbox (what it told the other services)."""
        rows = await self.db.fetch("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
        return [orjson.loads(bytes(r["payload"]))["data"] for r in rows]


@pytest.fixture
def catalog_clock() -> Clock | None:
    """The catalog's clock (the real one); a test module overrides this fixture to move time by hand."""
    return None


@pytest.fixture
async def catalog(settings_for, start_app, catalog_clock) -> AsyncIterator[Catalog]:
    app = create_app(settings_for(CatalogSettings, db_pool_max=20), clock=catalog_clock)
    client = await start_app(app)
    db = app[DB]
    async with db.transaction() as tx:
        await commands.save_merchant(tx, MERCHANT, "测试商户")
        await commands.save_merchant(tx, "mch_t2", "另一个商户")
        await commands.save_category(tx, "cat_digital", "数码")
        await commands.save_category(tx, "cat_phone", "手机", "cat_digital")
        await commands.save_category(tx, "cat_food", "食品")
    yield Catalog(client, db)


@pytest.fixture
async def orders_bus(amqp_url, bus_prefix) -> AsyncIterator[Bus]:
    """A publisher standing in for the orders (and payments) service."""
    bus = Bus(amqp_url, prefix=bus_prefix, service="orders")
    await bus.connect()
    yield bus
    await bus.close()


async def publish(bus: Bus, data: EventData, producer: str = "orders") -> Event[Any]:
    event = Event.wrap(data, producer=producer)
    await bus.publish_event(event)
    return event


def placed(sku_id: str, qty: int = 1, price_fen: int = 1000, *, order_id: str | None = None,
           more: list[tuple[str, int, int]] | None = None, user_id: str | None = None) -> OrderPlaced:
    """An order of a buyer of its own unless `user_id` names one (a buyer's unpaid units of a SKU are capped)."""
    lines = [(sku_id, qty, price_fen), *(more or [])]
    return OrderPlaced(
        order_id=order_id or f"ord_{uuid.uuid4().hex[:12]}", user_id=user_id or f"u_{uuid.uuid4().hex[:8]}",
        merchant_id=MERCHANT,
        lines=[Line(sku_id=s, product_id="p", qty=q, unit_price_fen=p) for s, q, p in lines],
        subtotal_fen=sum(q * p for _, q, p in lines))
