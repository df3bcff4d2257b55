"""The back office's lists, filtered on the server through the real gateway and services: products by text
(name, id, barcode), category, on/off sale and low stock, paged with a total; orders by status, delivery method,
the shop's days and part of the order number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_bulk import HEADER, csv_bytes, send
from tests.integration.gateway.test_pickup import paid_pickup_order
from tests.integration.gateway.test_platform import operator


def ean13(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


async def listed(mall: Mall, query: str, who: dict[str, str] | None = None) -> tuple[list[str], int]:
    resp = await mall.gateway.get(f"/api/merchant/products{query}", headers=who or mall.staff())
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return sorted(item["name"] for item in body["items"]), body["total"]


async def test_products_are_searched_and_filtered_on_the_server(mall: Mall, database_url: str) -> None:
    gw, staff = mall.gateway, mall.staff()
    ops = await operator(mall, database_url)
    tea = await (await gw.post("/api/platform/categories", json={"name": "茶叶"}, headers=ops)).json()
    assert (await gw.put("/api/merchant/profile", json={"name": "茶庄"}, headers=staff)).status == 200
    barcode = ean13("690123456789")
    sheet = csv_bytes([HEADER,
                       ["longjing", "西湖龙井", tea["id"], "", "", "", "规格=250g", "99.00", "3", barcode],
                       ["longjing", "西湖龙井", tea["id"], "", "", "", "规格=500g", "180.00", "40", ""],
                       ["puer", "普洱 100%_纯料", tea["id"], "", "", "", "", "120.00", "50", ""],
                       ["cup", "玻璃茶杯", "", "", "", "", "", "12.50", "0", ""]])
    resp = await send(mall, "products", sheet)
    assert resp.status == 201, await resp.text()
    assert (await gw.put("/api/merchant/profile", json={"name": "别家"}, headers=mall.staff("mch_002"))).status == 200

    assert await listed(mall, "?q=龙井") == (["西湖龙井"], 1)
    assert await listed(mall, f"?q={barcode}") == (["西湖龙井"], 1)  # a SKU's barcode finds its product
    assert await listed(mall, "?q=100%25_") == (["普洱 100%_纯料"], 1)  # % and _ are plain text
    assert await listed(mall, f"?category_id={tea['id']}") == (["普洱 100%_纯料", "西湖龙井"], 2)
    assert await listed(mall, "?low_stock=5") == (["玻璃茶杯", "西湖龙井"], 2)
    assert await listed(mall, "?low_stock=5&category_id=" + tea["id"]) == (["西湖龙井"], 1)
    first, total = await listed(mall, "?page_size=2&page=1")
    second, _ = await listed(mall, "?page_size=2&page=2")
    assert total == 3 and len(first) == 2 and len(second) == 1 and not set(first) & set(second)

    cup = next(i for i in (await (await gw.get("/api/merchant/products?q=茶杯", headers=staff)).json())["items"])
    assert (cup["available"], cup["active"]) == (0, True)
    product = await (await gw.get(f"/api/merchant/products/{cup['id']}", headers=staff)).json()
    body = {k: product[k] for k in ("name", "category_id", "brand", "description", "image", "store_ids")}
    body["skus"] = [{k: s[k] for k in ("id", "specs", "price_fen", "barcode", "sellable")} for s in product["skus"]]
    resp = await gw.put(f"/api/merchant/products/{cup['id']}", json={**body, "active": False}, headers=staff)
    assert resp.status == 200, await resp.text()
    assert await listed(mall, "?active=false") == (["玻璃茶杯"], 1)
    assert (await listed(mall, "?active=true"))[1] == 2

    assert await listed(mall, "?q=龙井", mall.staff("mch_002")) == ([], 0)  # another merchant's are never listed
    for bad in ("?low_stock=-1", "?active=maybe", "?q=" + "x" * 101, "?category_id=a%20b"):
        assert (await gw.get(f"/api/merchant/products{bad}", headers=staff)).status == 422, bad


async def orders(mall: Mall, query: str, who: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await mall.gateway.get(f"/api/merchant/orders{query}", headers=who or mall.staff())
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def test_orders_are_filtered_by_status_delivery_day_and_number(mall: Mall) -> None:
    order = await paid_pickup_order(mall)
    today = datetime.now(UTC).date()  # the shop's day is today or a day either side of UTC's
    around = f"?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"

    def ids(body: dict[str, Any]) -> list[str]:
        return [o["id"] for o in body["items"]]

    assert ids(await orders(mall, "?status=PAID&delivery_method=pickup")) == [order["id"]]
    assert ids(await orders(mall, "?delivery_method=express")) == []
    assert ids(await orders(mall, around)) == [order["id"]]
    assert ids(await orders(mall, f"?to={today - timedelta(days=2)}")) == []
    assert ids(await orders(mall, "?from=2020-01-01&to=2020-12-31")) == []
    assert ids(await orders(mall, f"?q={order['id'][-6:].upper()}")) == [order["id"]]
    assert ids(await orders(mall, "?q=nope")) == []
    first_page = await orders(mall, "?limit=1&page=1")
    assert (first_page["total"], first_page["total_exact"]) == (1, True)  # exact below 10,000 matching orders
    assert ids(await orders(mall, "?limit=1&page=2")) == []
    assert ids(await orders(mall, "", mall.staff("mch_002"))) == []
    for bad in ("?from=2024-13-01", "?delivery_method=drone", "?page=0", "?to=0"):
        assert (await mall.gateway.get(f"/api/merchant/orders{bad}", headers=mall.staff())).status == 422, bad
