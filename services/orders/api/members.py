"""Member prices: merchants set a price or a discount per member level on SKUs or categories; orders prices
the preview and the order with them (flows.member_priced); buyers' member cards show what a level gives."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web
from pydantic import Field

from services.orders import flows, store
from services.orders.deps import deps_of
from shared.http import (
    NotFound,
    StrictModel,
    current_merchant,
    json_response,
    parse_body,
    parse_query,
    path_id,
)
from shared.money import MIN_PAYABLE_FEN

routes = web.RouteTableDef()
Id = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class MemberPriceBody(StrictModel):
    sku_id: str | None = Id
    category_id: str | None = Id
    level: int = Field(ge=2, le=100)
    percent_off: int | None = Field(None, ge=1, le=99)  # 5 = 5 % off (九五折)
    price_fen: int | None = Field(None, ge=MIN_PAYABLE_FEN, le=100_000_000_00)


class BenefitsQuery(StrictModel):
    merchant_id: str = Field(min_length=1, max_length=64)
    level: int = Field(ge=1, le=100)


def rule_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "merchant_id": row["merchant_id"], "sku_id": row["sku_id"],
            "category_id": row["category_id"], "level": row["level"], "percent_off": row["percent_off"],
            "price_fen": row["price_fen"], "updated_at": row["updated_at"].isoformat()}


@routes.get("/merchant/member-prices")
async def list_rules(request: web.Request) -> web.Response:
    rows = await store.member_rules(deps_of(request.app).db.pool, current_merchant(request))
    return json_response({"items": [rule_view(r) for r in rows]})


@routes.put("/merchant/member-prices")
async def put_rule(request: web.Request) -> web.Response:
    """Set the rule of one target and level (again: replaces it, so a retry is harmless)."""
    merchant_id = current_merchant(request)
    body = await parse_body(request, MemberPriceBody)
    deps = deps_of(request.app)
    async with deps.db.transaction() as tx:
        row = await flows.set_member_price(tx, merchant_id, sku_id=body.sku_id, category_id=body.category_id,
                                           level=body.level, percent_off=body.percent_off,
                                           price_fen=body.price_fen, now=deps.clock.now())
    return json_response(rule_view(row))


@routes.delete("/merchant/member-prices/{rule_id}")
async def delete_rule(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    rule_id = path_id(request, "rule_id", code="member_price_not_found", detail="No such member price")
    if not await store.delete_member_rule(deps_of(request.app).db.pool, merchant_id, rule_id):
        raise NotFound("No such member price", code="member_price_not_found")
    return web.Response(status=204)


@routes.get("/member-prices")
async def benefits(request: web.Request) -> web.Response:
    """The member prices a level reaches at a merchant (what a member card shows)."""
    query = parse_query(request, BenefitsQuery)
    rows = await store.member_rules(deps_of(request.app).db.pool, query.merchant_id, query.level)
    return json_response({"items": [rule_view(r) for r in rows]})
