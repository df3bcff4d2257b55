"""Bulk work through the real gateway and services: import sheets (xlsx and CSV) all or nothing with errors by
row and column, their templates, and the streamed CSV export of orders with its filters."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.test_pickup import paid_pickup_order

HEADER = ["product", "name", "category_id", "brand", "description", "image", "specs", "price_yuan", "stock",
          "barcode"]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


async def send(mall: Mall, kind: str, data: bytes, headers: dict[str, str] | None = None) -> Any:
    return await mall.gateway.post(f"/api/merchant/import/{kind}", data=data, headers={
        **(headers or mall.staff()), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/octet-stream"})


async def products(mall: Mall) -> dict[str, dict[str, Any]]:
    listed = await (await mall.gateway.get("/api/merchant/products?page_size=50", headers=mall.staff())).json()
    found = {}
    for item in listed["items"]:
        found[item["name"]] = await (await mall.gateway.get(f"/api/merchant/products/{item['id']}",
                                                            headers=mall.staff())).json()
    return found


async def test_templates_download_as_xlsx_and_csv(mall: Mall) -> None:
    resp = await mall.gateway.get("/api/merchant/import/products/template?format=xlsx", headers=mall.staff())
    assert resp.status == 200 and "spreadsheetml" in resp.content_type
    assert 'filename="mpmall-products-template.xlsx"' in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await resp.read())).active
    assert [c.value for c in sheet[1]] == HEADER
    resp = await mall.gateway.get("/api/merchant/import/stock/template?format=csv", headers=mall.staff())
    assert (await resp.text()).lstrip("\ufeff").splitlines()[0] == "sku_id,stock_delta"
    assert (await mall.gateway.get("/api/merchant/import/prices/template", headers=mall.staff())).status == 404


async def test_a_sheet_imports_whole_or_not_at_all(mall: Mall) -> None:
    gw = mall.gateway
    assert (await gw.put("/api/merchant/profile", json={"name": "茶庄"}, headers=mall.staff())).status == 200
    bad = csv_bytes([HEADER,
                     ["tea", "龙井", "", "", "", "", "规格=250g", "99.00", "10", ""],
                     ["tea", "", "", "", "", "", "规格=500g", "abc", "5", ""],  # row 3: price
                     ["cup", "茶杯", "", "", "", "", "颜色", "12.5", "-1", ""]])  # row 4: specs, stock
    resp = await send(mall, "products", bad)
    body = await resp.json()
    assert (resp.status, body["code"]) == (422, "import_invalid"), body
    assert [(e["row"], e["column"], e["code"]) for e in body["row_errors"]] == [
        (3, "price_yuan", "invalid_price"), (4, "stock", "invalid_stock"), (4, "specs", "invalid_specs")]
    assert await products(mall) == {}

    refused_by_catalog = xlsx([HEADER,
                               ["tea", "龙井", "", "", "", "", "规格=250g", 99, 10, ""],
                               ["cup", "茶杯", "", "", "", "", "", "12.50", 3, "1234567890123"]])  # bad EAN-13
    resp = await send(mall, "products", refused_by_catalog)
    body = await resp.json()
    assert (resp.status, body["code"]) == (422, "import_invalid"), body
    assert [(e["row"], e["column"], e["code"]) for e in body["row_errors"]] == [(3, "barcode", "invalid_barcode")]
    assert await products(mall) == {}  # the first product was not kept either

    good = xlsx([HEADER,
                 ["tea", "龙井", "", "狮峰", "<b>春茶</b>", "", "规格=250g", 99, 10, ""],
                 ["tea", "", "", "", "", "", "规格=500g", "188.00", 5, ""],
                 ["cup", "茶杯", "", "", "", "", "颜色=白", "12.5", "", "6901234567892"]])
    resp = await send(mall, "products", good)
    assert resp.status == 201, await resp.text()
    found = await products(mall)
    assert sorted(found) == ["茶杯", "龙井"]
    assert found["龙井"]["description"] == "<b>春茶</b>"
    assert sorted((s["specs"]["规格"], s["price_fen"], s["available"]) for s in found["龙井"]["skus"]) == \
        [("250g", 9_900, 10), ("500g", 18_800, 5)]
    cup_sku = found["茶杯"]["skus"][0]
    assert (cup_sku["price_fen"], cup_sku["available"], cup_sku["barcode"]) == (1_250, 0, "6901234567892")

    tea_sku = next(s["id"] for s in found["龙井"]["skus"] if s["specs"]["规格"] == "250g")
    resp = await send(mall, "stock", csv_bytes([["sku_id", "stock_delta"], [tea_sku, "5"], ["sku_nope", "3"]]))
    body = await resp.json()
    assert [(e["row"], e["column"], e["code"]) for e in body["row_errors"]] == [(3, "sku_id", "sku_not_found")]
    resp = await send(mall, "stock", csv_bytes([["sku_id", "stock_delta"], [tea_sku, "5"], [cup_sku["id"], "7"]]))
    assert resp.status == 201, await resp.text()
    found = await products(mall)
    assert {s["id"]: s["available"] for p in found.values() for s in p["skus"]}[tea_sku] == 15
    assert found["茶杯"]["skus"][0]["available"] == 7

    theirs = await send(mall, "stock", csv_bytes([["sku_id", "stock_delta"], [tea_sku, "1"]]), mall.staff("mch_002"))
    assert [e["code"] for e in (await theirs.json())["row_errors"]] == ["product_not_yours"]
    for data, code in [(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "sheet_unreadable"), (b"name,price\n", "sheet_columns"),
                       (b"PK\x03\x04broken", "sheet_unreadable")]:
        resp = await send(mall, "products", data)
        assert (resp.status, (await resp.json())["code"]) == (422, code)
    resp = await send(mall, "products", b"a" * (6 * 1024 * 1024))
    assert (resp.status, (await resp.json())["code"]) == (413, "sheet_too_large")


async def test_orders_export_as_csv_with_filters_and_only_the_merchants_own(mall: Mall) -> None:
    gw = mall.gateway
    order = await paid_pickup_order(mall)

    async def export(query: str, who: dict[str, str] | None = None) -> list[dict[str, str]]:
        resp = await gw.get(f"/api/merchant/exports/orders{query}", headers=who or mall.staff())
        assert resp.status == 200 and resp.content_type == "text/csv", await resp.text()
        assert resp.headers["Content-Disposition"].startswith('attachment; filename="orders-')
        rows = list(csv.DictReader(io.StringIO((await resp.text()).lstrip("\ufeff"))))
        assert resp.headers["X-Total-Count"] == str(len(rows))  # told before the rows, for the progress shown
        return rows

    rows = await export("?status=PAID&delivery_method=pickup")
    assert [(r["order_id"], r["status"], r["delivery_method"], r["payable_yuan"], r["items"]) for r in rows] == \
        [(order["id"], "PAID", "pickup", "100.00", "龙井茶 250g x2")]
    assert await export("?delivery_method=express") == []
    assert await export("?status=CANCELLED") == []
    assert await export("?from=2020-01-01&to=2020-12-31") == []
    assert [r["order_id"] for r in await export("")] == [order["id"]]
    assert await export("", mall.staff("mch_002")) == []
    bad = await gw.get("/api/merchant/exports/orders?status=LOST", headers=mall.staff())
    assert bad.status == 422
