"""Bulk work for the back office: import products or stock changes from an Excel/CSV sheet (checked row by row
here, written in one catalog transaction: all or nothing), the sheets' templates, and the orders as CSV,
streamed page by page with filters."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from services.gateway.api.merchant import day_bounds
from services.gateway.domain import sheets
from services.gateway.domain.sheets import MAX_SHEET_BYTES, XLSX_MEDIA, SheetKind
from services.gateway.models import Day, OrderStatus
from services.gateway.routes import Call, Operation, QueryModel
from services.gateway.upstream import relay
from shared.http import NotFound
from shared.money import fen_to_yuan
from shared.refusal import Refusal

KINDS: dict[str, SheetKind] = {"products": "products", "stock": "stock"}
CHUNK = 64 * 1024
# The catalog field a refused item names, as the sheet's column.
COLUMN_OF = {"barcode": "barcode", "category_id": "category_id", "price_fen": "price_yuan", "sku_id": "sku_id",
             "store_ids": "product", "delta": "stock_delta"}
EXPORT_COLUMNS = ["order_id", "status", "created_at", "paid_at", "buyer", "entry", "delivery_method", "items",
                  "subtotal_yuan", "freight_yuan", "discount_yuan", "points_yuan", "payable_yuan", "paid_yuan",
                  "payment_method"]


class TemplateQuery(QueryModel):
    format: Literal["csv", "xlsx"] = "xlsx"


class ExportQuery(QueryModel):
    model_config = QueryModel.model_config | {"populate_by_name": True}
    status: OrderStatus | None = None
    delivery_method: Literal["express", "pickup"] | None = None
    from_: Day | None = Field(default=None, alias="from")
    to: Day | None = None


def kind_of(call: Call) -> SheetKind:
    kind = KINDS.get(call.param("kind"))
    if kind is None:
        raise NotFound("No such sheet: products or stock", code="sheet_kind_not_found")
    return kind


async def merchant_import_template(call: Call) -> web.StreamResponse:
    kind, fmt = kind_of(call), call.query.format
    data = sheets.template(kind, fmt)
    return web.Response(body=data, content_type="text/csv" if fmt == "csv" else XLSX_MEDIA,
                        charset="utf-8" if fmt == "csv" else None,
                        headers={"Content-Disposition": f'attachment; filename="mpmall-{kind}-template.{fmt}"'})


async def read_sheet_upload(request: web.Request) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > MAX_SHEET_BYTES:
            raise Refusal("sheet_too_large", f"A sheet may have at most {MAX_SHEET_BYTES // (1024 * 1024)} MB", 413)
        parts.append(chunk)
    return b"".join(parts)


def _checked(data: bytes, kind: SheetKind) -> tuple[dict[str, Any], list[int]]:
    rows = sheets.read_sheet(data, kind)
    if kind == "products":
        products, first_rows = sheets.product_bodies(rows)
        return {"products": products}, first_rows
    changes, stock_rows = sheets.stock_changes(rows)
    return {"stock": changes}, stock_rows


async def merchant_import(call: Call) -> web.StreamResponse:
    kind = kind_of(call)
    body, rows = await asyncio.to_thread(_checked, await read_sheet_upload(call.request), kind)
    reply = await call.up.call(call.request, "catalog", "POST", "/merchant/import", json=body)
    if 400 <= reply.status < 500 and isinstance(reply.body, dict) and "index" in reply.body:
        raise sheets.service_error_row(reply.body, rows, COLUMN_OF)
    return relay(reply)


def _yuan(fen: Any) -> str:
    return "" if fen is None else fen_to_yuan(int(fen))


def _csv_line(values: list[Any]) -> bytes:
    out = io.StringIO()
    # A cell starting with = + - @ would be a formula in Excel: quote it as text.
    csv.writer(out).writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in values])
    return out.getvalue().encode()


async def merchant_export_orders(call: Call) -> web.StreamResponse:
    query: ExportQuery = call.query
    params: dict[str, Any] = {"status": query.status, "delivery_method": query.delivery_method,
                              **day_bounds(call.deps.business_zone, query.from_, query.to), "limit": 500}
    first = await call.up.json(call.request, "orders", "GET", "/merchant/order-export", query=params)
    stamp = datetime.now(call.deps.business_zone).strftime("%Y%m%d-%H%M")
    # X-Total-Count: the orders the file will hold (a streamed file has no length), for the progress shown.
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
                                           "Content-Disposition": f'attachment; filename="orders-{stamp}.csv"',
                                           "X-Total-Count": str(first.get("total") or 0)})
    await response.prepare(call.request)  # errors before this point are problems; after it, a cut-off file
    await response.write("\ufeff".encode() + _csv_line(EXPORT_COLUMNS))
    page = first
    while True:
        for o in page["items"]:
            items = "; ".join(f"{line['name']} x{line['qty']}" for line in o["lines"])
            await response.write(_csv_line([
                o["id"], o["status"], o["created_at"], o["paid_at"] or "", o["user_id"], o["entry"],
                o["delivery_method"] or "", items, _yuan(o["subtotal_fen"]), _yuan(o["freight_fen"]),
                _yuan(o["discount_fen"]), _yuan(o["points_fen"]), _yuan(o["payable_fen"]), _yuan(o["paid_fen"]),
                o["payment_method"] or ""]))
        if not page.get("next"):
            break
        page = await call.up.json(call.request, "orders", "GET", "/merchant/order-export",
                                  query={**params, **page["next"]})
    await response.write_eof()
    return response


OPERATIONS = [
    Operation("GET", "/api/merchant/import/{kind}/template", merchant_import_template, "The import sheet's template "
              "(kind: products or stock) as .xlsx or CSV, with example rows", "merchant", auth="staff",
              query=TemplateQuery),
    Operation("POST", "/api/merchant/import/{kind}", merchant_import, "Import a sheet (.xlsx or CSV, at most 5 MB) "
              "of products or stock changes: all rows or none; 422 `import_invalid` lists `row_errors` (row, column, "
              "code)", "merchant", auth="staff", raw_body="application/octet-stream", status=201, idempotent=True,
              max_body_bytes=MAX_SHEET_BYTES, too_large_code="sheet_too_large"),
    Operation("GET", "/api/merchant/exports/orders", merchant_export_orders, "The merchant's orders as CSV (UTF-8), "
              "streamed, filtered by status, delivery method and creation date (from/to, the shop's days)",
              "merchant", auth="staff", query=ExportQuery),
]
