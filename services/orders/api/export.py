"""The back office's order export, read page by page (keyset: created_at, id) so the gateway can stream any
number of orders as CSV without either side holding them all."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field

from services.orders import store
from services.orders.domain import Status
from shared.http import StrictModel, current_merchant, json_response, parse_query
from shared.service import DB

routes = web.RouteTableDef()


class ExportQuery(StrictModel):
    status: Status | None = None
    delivery_method: Literal["express", "pickup"] | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    after_created: datetime | None = None
    after_id: str = Field(default="", max_length=64)
    limit: int = Field(default=500, ge=1, le=1000)


@routes.get("/merchant/order-export")
async def export_page(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    query = parse_query(request, ExportQuery)
    after = (query.after_created, query.after_id) if query.after_created else None
    async with request.app[DB].pool.acquire() as conn:
        orders = await store.export_page(conn, merchant_id, query.status, query.created_from, query.created_before,
                                         query.delivery_method, after, query.limit)
        lines = await store.lines_of(conn, [o["id"] for o in orders])
        # The first page says how many there are in all: the back office shows the export's progress.
        total = None if after else await store.export_count(conn, merchant_id, query.status, query.created_from,
                                                            query.created_before, query.delivery_method)
    items = [{"id": o["id"], "status": o["status"], "created_at": o["created_at"].isoformat(),
              "paid_at": o["paid_at"].isoformat() if o["paid_at"] else None, "user_id": o["user_id"],
              "entry": o["entry"], "delivery_method": (o["delivery"] or {}).get("method"),
              "subtotal_fen": o["subtotal_fen"],
              "freight_fen": o["freight_fen"], "discount_fen": o["discount_fen"], "points_fen": o["points_fen"],
              "payable_fen": o["payable_fen"], "paid_fen": o["paid_fen"], "payment_method": o["payment_method"],
              "lines": [{"sku_id": line["sku_id"], "name": line["name"], "qty": line["qty"],
                         "unit_price_fen": line["unit_price_fen"]} for line in lines[o["id"]]]}
             for o in orders]
    last = orders[-1] if len(orders) == query.limit else None
    return json_response({"items": items, "total": total, "next": {"after_created": last["created_at"].isoformat(),
                                                   "after_id": last["id"]} if last else None})
