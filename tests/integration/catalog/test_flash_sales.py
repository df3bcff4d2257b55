"""Flash sales (秒杀): scheduled by the merchant, shown on the product and home pages, buyers admitted by
catalog's admitter (as the gateway asks before placing the order) and their orders holding the admissions
through order.placed on the real bus: never more than the sale's quantity, never a buyer over the limit,
unpaid units back on sale, refusals before the start and after the end."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.catalog.flows import flash
from shared.clock import ManualClock
from shared.events.base import Event
from shared.events.common import Line
from shared.events.orders import OrderCancelled, OrderPaid, OrderPlaced
from tests.integration.catalog.conftest import MERCHANT, Catalog
from tests.support import eventually

STAFF = {"X-Merchant-Id": MERCHANT}
LIST_PRICE, SALE_PRICE = 99_900, 49_900


async def schedule(catalog: Catalog, sku_id: str, *, quantity: int = 100, limit: int = 2,
                   starts_in: timedelta = timedelta(minutes=-1), lasts: timedelta = timedelta(hours=1),
                   price_fen: int = SALE_PRICE) -> Any:
    starts = datetime.now(UTC) + starts_in
    return await catalog.client.post("/merchant/flash-sales", headers={**STAFF, "Idempotency-Key": uuid.uuid4().hex},
                                     json={"sku_id": sku_id, "price_fen": price_fen, "quantity": quantity,
                                           "per_buyer_limit": limit, "starts_at": starts.isoformat(),
                                           "ends_at": (starts + lasts).isoformat()})


@pytest.fixture
def catalog_clock() -> ManualClock:
    return ManualClock()


async def admit(catalog: Catalog, sale_id: str, sku_id: str, user_id: str, qty: int = 1,
                key: str | None = None) -> dict[str, Any]:
    """What the gateway asks before placing a flash order: the admission, or the refusal's code."""
    resp = await catalog.client.post(f"/flash-sales/{sale_id}/admissions",
                                     headers={"X-User-Id": user_id, "Idempotency-Key": key or uuid.uuid4().hex},
                                     json={"sku_id": sku_id, "qty": qty})
    answer = await resp.json()
    expected = 201 if "admission_id" in answer else 404 if answer["code"] == "flash_sale_unknown" else 409
    assert resp.status == expected, answer
    return dict(answer)


def flash_order(sale_id: str, sku_id: str, user_id: str, admission_id: str | None, qty: int = 1,
                price_fen: int = SALE_PRICE) -> OrderPlaced:
    return OrderPlaced(order_id=f"ord_{uuid.uuid4().hex[:12]}", user_id=user_id, merchant_id=MERCHANT,
                       lines=[Line(sku_id=sku_id, product_id="p", qty=qty, unit_price_fen=price_fen,
                                   list_price_fen=LIST_PRICE, flash_sale_id=sale_id,
                                   flash_admission_id=admission_id)],
                       subtotal_fen=qty * price_fen)


async def send(bus, data, at: datetime | None = None, producer: str = "orders") -> None:  # noqa: ANN001
    event = Event.wrap(data, producer=producer)
    if at is not None:
        event = event.model_copy(update={"occurred_at": at})
    await bus.publish_event(event)


async def decisions(catalog: Catalog, order_ids: set[str]) -> dict[str, dict[str, Any]]:
    """stock.reserved / stock.rejected of these orders, once every one has its answer."""
    async def probe() -> dict[str, dict[str, Any]] | None:
        found = {e["order_id"]: {"reserved": True, **e} for e in await catalog.events("stock.reserved")}
        found |= {e["order_id"]: {"reserved": False, **e} for e in await catalog.events("stock.rejected")}
        mine = {k: v for k, v in found.items() if k in order_ids}
        return mine if len(mine) == len(order_ids) else None

    return await eventually(probe, timeout=60)


async def sale_row(catalog: Catalog, sale_id: str) -> dict[str, Any]:
    row = await catalog.db.fetchrow("SELECT remaining, quantity FROM flash_sales WHERE id = $1", sale_id)
    assert row is not None
    return dict(row)


async def test_hundreds_of_buyers_get_exactly_the_sale_and_unpaid_units_come_back(catalog, orders_bus):
    product_id, sku = await catalog.product("秒杀手机", price_fen=LIST_PRICE, stock=150)
    resp = await schedule(catalog, sku, quantity=100, limit=2)
    assert resp.status == 201, await resp.text()
    sale = await resp.json()
    assert (sale["remaining"], sale["state"], sale["price_fen"]) == (100, "running", SALE_PRICE)
    # The sale's units left ordinary stock at once: a plain order can only take the other 50.
    assert await catalog.stock(sku) == {"available": 50, "reserved": 100, "sold": 0}

    # 160 buyers, each trying three single-unit orders at once: 480 requests for 100 units, 2 per buyer.
    buyers = [f"buyer{b}" for b in range(160) for _ in range(3)]
    answers = await asyncio.gather(*(admit(catalog, sale["id"], sku, buyer) for buyer in buyers))
    admitted = [(buyer, a["admission_id"]) for buyer, a in zip(buyers, answers, strict=True) if "admission_id" in a]
    assert len(admitted) == 100
    assert max(Counter(buyer for buyer, _ in admitted).values()) <= 2
    assert {a["code"] for a in answers if "code" in a} <= {"flash_sale_sold_out", "flash_sale_limit"}
    assert await sale_row(catalog, sale["id"]) == {"remaining": 0, "quantity": 100}
    assert await catalog.db.fetchval("SELECT sum(units) FROM flash_buyers WHERE sale_id = $1", sale["id"]) == 100

    # Each admitted buyer's order holds its admission: nothing more leaves the SKU.
    orders = [flash_order(sale["id"], sku, buyer, admission_id) for buyer, admission_id in admitted]
    await asyncio.gather(*(send(orders_bus, o) for o in orders))
    decided = await decisions(catalog, {o.order_id for o in orders})
    assert all(d["reserved"] for d in decided.values())
    assert await catalog.stock(sku) == {"available": 50, "reserved": 100, "sold": 0}

    # An order naming no admission, or one another order took, is refused.
    stray = [flash_order(sale["id"], sku, "buyer0", None), flash_order(sale["id"], sku, orders[0].user_id,
                                                                       admitted[0][1])]
    for o in stray:
        await send(orders_bus, o)
    refused = await decisions(catalog, {o.order_id for o in stray})
    assert {d["reason"] for d in refused.values()} == {"flash_not_admitted"}

    # Ten go unpaid (cancelled or timed out) and five are paid: the ten go back to the sale, and to their buyers.
    cancelled, paid = orders[:10], orders[10:15]
    await asyncio.gather(
        *(send(orders_bus, OrderCancelled(order_id=o.order_id, user_id=o.user_id, merchant_id=MERCHANT,
                                          reason="pay_timeout")) for o in cancelled),
        *(send(orders_bus, OrderPaid(order_id=o.order_id, user_id=o.user_id, merchant_id=MERCHANT,
                                     payable_fen=SALE_PRICE, method="alipay")) for o in paid))

    async def settled() -> bool:
        return (await sale_row(catalog, sale["id"]))["remaining"] == 10 and \
            (await catalog.stock(sku))["sold"] == 5

    await eventually(settled, timeout=30)
    assert await catalog.stock(sku) == {"available": 50, "reserved": 95, "sold": 5}

    # The released units can be bought again, by newcomers and by a buyer whose order was cancelled.
    again = [f"late{b}" for b in range(12)] + [cancelled[0].user_id]
    answers = [await admit(catalog, sale["id"], sku, buyer) for buyer in again]  # in turn: the winners are known
    assert ["admission_id" in a for a in answers] == [True] * 10 + [False] * 3
    assert answers[-1]["code"] == "flash_sale_sold_out"
    assert await sale_row(catalog, sale["id"]) == {"remaining": 0, "quantity": 100}

    page = await (await catalog.client.get(f"/products/{product_id}")).json()
    assert page["flash_sale"]["id"] == sale["id"] and page["flash_sale"]["state"] == "sold_out"


async def test_buyers_before_the_start_and_after_the_end_are_refused(catalog, orders_bus, catalog_clock):
    _, sku = await catalog.product("限量耳机", price_fen=LIST_PRICE, stock=10)
    sale = await (await schedule(catalog, sku, quantity=5, limit=5, starts_in=timedelta(hours=1),
                                 lasts=timedelta(hours=1))).json()
    assert (await admit(catalog, sale["id"], sku, "early"))["code"] == "flash_sale_not_started"
    starts = datetime.fromisoformat(sale["starts_at"])
    catalog_clock.advance(seconds=(starts - catalog_clock.now()).total_seconds())  # the sale's first moment
    assert (await admit(catalog, sale["id"], sku, "greedy", qty=6))["code"] == "flash_sale_limit"
    assert (await admit(catalog, sale["id"], "sku_other", "lost"))["code"] == "flash_sale_unknown"
    on_time = await admit(catalog, sale["id"], sku, "on_time", qty=5)
    assert (await admit(catalog, sale["id"], sku, "next"))["code"] == "flash_sale_sold_out"
    catalog_clock.advance(hours=1)
    assert (await admit(catalog, sale["id"], sku, "late"))["code"] == "flash_sale_ended"

    # The admitted buyer's order at a wrong price is refused; at the sale's price it holds the five units.
    wrong_price = flash_order(sale["id"], sku, "on_time", on_time["admission_id"], qty=5, price_fen=100)
    order = flash_order(sale["id"], sku, "on_time", on_time["admission_id"], qty=5)
    await send(orders_bus, wrong_price)
    await send(orders_bus, order)
    decided = await decisions(catalog, {wrong_price.order_id, order.order_id})
    assert decided[wrong_price.order_id]["reason"] == "price_changed"
    assert decided[order.order_id]["reserved"]
    assert await sale_row(catalog, sale["id"]) == {"remaining": 0, "quantity": 5}

    # Over: the sale is closed, and a unit released afterwards goes back to ordinary stock, not to the sale.
    async with catalog.db.transaction() as tx:
        assert await flash.close_ended(tx, datetime.fromisoformat(sale["ends_at"])) == 1
    await send(orders_bus, OrderCancelled(order_id=order.order_id, user_id="on_time", merchant_id=MERCHANT,
                                          reason="pay_timeout"))

    async def back() -> bool:
        return await catalog.stock(sku) == {"available": 10, "reserved": 0, "sold": 0}

    await eventually(back, timeout=30)
    assert await sale_row(catalog, sale["id"]) == {"remaining": 0, "quantity": 5}


async def test_an_ended_sale_gives_its_unsold_units_back(catalog):
    _, sku = await catalog.product("限量围巾", price_fen=LIST_PRICE, stock=10)
    sale = await (await schedule(catalog, sku, quantity=6, limit=1)).json()
    assert await catalog.stock(sku) == {"available": 4, "reserved": 6, "sold": 0}
    async with catalog.db.transaction() as tx:  # not over yet: nothing changes
        assert await flash.close_ended(tx, datetime.now(UTC)) == 0
    async with catalog.db.transaction() as tx:
        assert await flash.close_ended(tx, datetime.fromisoformat(sale["ends_at"])) == 1
    assert await catalog.stock(sku) == {"available": 10, "reserved": 0, "sold": 0}


async def test_product_and_home_pages_show_an_upcoming_sale_with_what_is_left(catalog):
    product_id, sku = await catalog.product("秒杀月饼", price_fen=LIST_PRICE, stock=30)
    sale = await (await schedule(catalog, sku, quantity=20, limit=1, starts_in=timedelta(minutes=10))).json()
    page = await (await catalog.client.get(f"/products/{product_id}")).json()
    shown = page["flash_sale"]
    assert (shown["id"], shown["state"], shown["remaining"], shown["price_fen"], shown["list_price_fen"]) == \
        (sale["id"], "upcoming", 20, SALE_PRICE, LIST_PRICE)
    assert datetime.fromisoformat(shown["starts_at"]) > datetime.now(UTC)
    assert page["skus"][0]["available"] == 10  # the sale's 20 are not for sale at the list price
    home = await (await catalog.client.get("/home-content")).json()
    assert [(s["id"], s["name"], s["state"]) for s in home["flash_sales"]] == [(sale["id"], "秒杀月饼", "upcoming")]
    listed = await (await catalog.client.get("/merchant/flash-sales", headers=STAFF)).json()
    assert [s["id"] for s in listed["items"]] == [sale["id"]]


async def test_scheduling_refusals(catalog):
    _, sku = await catalog.product("手表", price_fen=LIST_PRICE, stock=10)
    assert (await (await schedule(catalog, sku, price_fen=LIST_PRICE)).json())["code"] == "flash_sale_price"
    assert (await (await schedule(catalog, sku, quantity=11)).json())["code"] == "flash_sale_stock"
    assert (await (await schedule(catalog, sku, lasts=timedelta(minutes=-5))).json())["code"] == "flash_sale_window"
    assert (await schedule(catalog, sku, quantity=5)).status == 201
    assert (await (await schedule(catalog, sku, quantity=5)).json())["code"] == "flash_sale_overlap"
    other = await catalog.client.post("/merchant/flash-sales",
                                      headers={"X-Merchant-Id": "mch_t2", "Idempotency-Key": "k-other"},
                                      json={"sku_id": sku, "price_fen": 100, "quantity": 1, "per_buyer_limit": 1,
                                            "starts_at": "2030-01-01T10:00:00+08:00",
                                            "ends_at": "2030-01-01T11:00:00+08:00"})
    assert (other.status, (await other.json())["code"]) == (404, "unknown_sku")  # another merchant's SKU
    naive = await catalog.client.post("/merchant/flash-sales", headers={**STAFF, "Idempotency-Key": "k-naive"},
                                      json={"sku_id": sku, "price_fen": 100, "quantity": 1, "per_buyer_limit": 1,
                                            "starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T11:00:00"})
    assert naive.status == 422
    assert await catalog.stock(sku) == {"available": 5, "reserved": 5, "sold": 0}
