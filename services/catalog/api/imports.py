"""Bulk imports from the back office (the gateway reads and checks the sheet): many products, or many stock
changes, in one transaction, so a refused item leaves nothing imported. A refusal names the item (`index`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from services.catalog.api.buyer import Model
from services.catalog.api.merchant import ProductBody, _draft
from services.catalog.flows import catalogue as commands
from shared.db import Tx
from shared.http import current_merchant, idempotent, parse_body
from shared.refusal import Refusal
from shared.service import DB

routes = web.RouteTableDef()


class StockChange(Model):
    sku_id: str = Field(min_length=1, max_length=64)
    delta: int = Field(ge=-10_000_000, le=10_000_000)


class ImportBody(Model):
    products: list[ProductBody] = Field(default_factory=list, max_length=5000)
    stock: list[StockChange] = Field(default_factory=list, max_length=5000)


def _of_item(refusal: Refusal, index: int, field: str | None = None) -> Refusal:
    """The refusal of one item, naming it and the field at fault (the refusal's own, else `field`)."""
    return Refusal(refusal.code, refusal.detail, 422, index=index, field=refusal.extra.get("field") or field)


@routes.post("/merchant/import")
async def import_sheet(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    body = await parse_body(request, ImportBody)

    async def work(tx: Tx) -> tuple[int, Any]:
        product_ids = []
        for index, product in enumerate(body.products):
            draft = _draft(merchant_id, product)
            try:
                await commands.save_product(tx, draft)
            except Refusal as refusal:
                raise _of_item(refusal, index) from refusal
            product_ids.append(draft.id)
        for index, change in enumerate(body.stock):
            try:
                await commands.adjust_stock(tx, merchant_id, change.sku_id, change.delta)
            except Refusal as refusal:
                raise _of_item(refusal, index, "delta" if refusal.code == "stock_negative" else "sku_id") \
                    from refusal
        return 201, {"products": product_ids, "stock_changes": len(body.stock)}

    return await idempotent(request, request.app[DB], f"import:{merchant_id}", body.model_dump(mode="json"),
                            work)
