"""Group buying (拼团): the merchant's deals, and the group page a buyer shares.

Buyers open and join groups by placing orders (orders → order.placed → `flows.group_buy.claim_seat`); here
they read the running deals of a SKU and a group's page. A group's id is made by orders and shared by the
opener: anyone signed in who holds it sees the group, with members masked ('张**') and never a user id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from asyncpg import Record
from pydantic import Field, model_validator

from services.marketing.api.common import Model, db, maybe_idempotent, merchant_id, now, path_id, user_id
from services.marketing.domain import group_buy as rules
from services.marketing.store import group_buy as group_db
from services.marketing.store import new_id
from shared.db import Tx
from shared.http import NotFound, ValidationProblem, json_response, parse_body, parse_query
from shared.http.models import Moment

routes = web.RouteTableDef()

Price = Field(gt=0, le=100_000_000)
Size = Field(ge=2, le=100)
Hours = Field(ge=1, le=720)




class DealBody(Model):
    sku_id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=100)
    group_price_fen: int = Price
    group_size: int = Size
    time_limit_hours: int = Hours
    starts_at: Moment | None = None  # default: now
    ends_at: Moment

    @model_validator(mode="after")
    def window(self) -> DealBody:
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class DealChange(Model):
    """Changes apply to groups opened afterwards; groups already open keep their price, size and deadline."""

    name: str | None = Field(default=None, max_length=100)
    group_price_fen: int | None = Price
    group_size: int | None = Size
    time_limit_hours: int | None = Hours
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    status: str | None = Field(default=None, pattern="^(active|ended)$")


class DealsQuery(Model):
    sku_id: str = Field(min_length=1, max_length=64)


def deal_view(deal: Record) -> dict[str, Any]:
    return {"id": deal["id"], "sku_id": deal["sku_id"], "name": deal["name"],
            "group_price_fen": deal["group_price_fen"], "group_size": deal["group_size"],
            "time_limit_hours": deal["time_limit_hours"], "starts_at": deal["starts_at"], "ends_at": deal["ends_at"],
            "status": deal["status"], "created_at": deal["created_at"]}


def group_view(group: Record, deal: Record, seats: list[Record], viewer: str, at: datetime) -> dict[str, Any]:
    seated = len(seats)
    return {"id": group["id"], "deal_id": group["deal_id"], "sku_id": deal["sku_id"], "name": deal["name"],
            "group_price_fen": group["group_price_fen"], "size": group["size"], "status": group["status"],
            "members": [{"nickname": s["nickname"], "opener": s["opener"], "paid": s["status"] == "paid",
                         "is_me": s["user_id"] == viewer} for s in seats],
            "seats_left": max(group["size"] - seated, 0) if group["status"] == "open" else 0,
            "joined_by_me": any(s["user_id"] == viewer for s in seats),
            "opened_at": group["opened_at"], "expires_at": group["expires_at"], "ended_at": group["ended_at"],
            "seconds_left": rules.seconds_left(group["expires_at"], at) if group["status"] == "open" else 0}


# --- the merchant's deals ------------------------------------------------------------------------------


@routes.post("/merchant/group-buy/deals")
async def create_deal(request: web.Request) -> web.Response:
    merchant, at = merchant_id(request), now(request)
    body = await parse_body(request, DealBody)

    async def work(tx: Tx) -> tuple[int, Any]:
        deal = await group_db.insert_deal(
            tx.conn, deal_id=new_id("gbd"), merchant_id=merchant, sku_id=body.sku_id, name=body.name,
            group_price_fen=body.group_price_fen, group_size=body.group_size,
            time_limit_hours=body.time_limit_hours, starts_at=body.starts_at or at, ends_at=body.ends_at, now=at)
        return 201, deal_view(deal)

    return await maybe_idempotent(request, f"group-deal:{merchant}", body.model_dump(mode="json"), work)


@routes.get("/merchant/group-buy/deals")
async def list_deals(request: web.Request) -> web.Response:
    merchant = merchant_id(request)
    return json_response({"items": [deal_view(d) for d in await group_db.deals_of_merchant(db(request).pool,
                                                                                           merchant)]})


@routes.get("/merchant/group-buy/deals/{deal_id}")
async def get_deal(request: web.Request) -> web.Response:
    deal = await group_db.get_deal(db(request).pool, path_id(request, "deal_id"), merchant_id(request))
    if deal is None:
        raise NotFound("No such group-buy deal", code="group_deal_not_found")
    return json_response(deal_view(deal))


async def _change_deal(request: web.Request, changes: dict[str, Any]) -> web.Response:
    merchant, deal_id, at = merchant_id(request), path_id(request, "deal_id"), now(request)
    async with db(request).transaction() as tx:
        before = await group_db.get_deal(tx.conn, deal_id, merchant)
        if before is None:
            raise NotFound("No such group-buy deal", code="group_deal_not_found")
        starts, ends = changes.get("starts_at", before["starts_at"]), changes.get("ends_at", before["ends_at"])
        if ends <= starts:
            raise ValidationProblem("ends_at must be after starts_at", code="invalid_window",
                                    errors=[{"field": "ends_at", "message": "must be after starts_at"}])
        deal = await group_db.update_deal(tx.conn, deal_id, merchant, at, changes)
    assert deal is not None
    return json_response(deal_view(deal))


@routes.patch("/merchant/group-buy/deals/{deal_id}")
async def change_deal(request: web.Request) -> web.Response:
    merchant_id(request)
    body = await parse_body(request, DealChange)
    return await _change_deal(request, body.model_dump(exclude_none=True))


@routes.delete("/merchant/group-buy/deals/{deal_id}")
async def end_deal(request: web.Request) -> web.Response:
    """No new groups; groups already open run to their deadline (their buyers have paid)."""
    return await _change_deal(request, {"status": "ended"})


# --- buyers -------------------------------------------------------------------------------------------


@routes.get("/group-buy/deals")
async def running_deals(request: web.Request) -> web.Response:
    user_id(request)
    query = parse_query(request, DealsQuery)
    deals = await group_db.running_deals_of_sku(db(request).pool, query.sku_id, now(request))
    return json_response({"items": [deal_view(d) for d in deals]})


@routes.get("/group-buys/{group_id}")
async def group_page(request: web.Request) -> web.Response:
    viewer, at = user_id(request), now(request)
    pool = db(request).pool
    group = await group_db.get_group(pool, path_id(request, "group_id"))
    if group is None:
        raise NotFound("No such group", code="group_not_found")
    deal = await group_db.get_deal(pool, group["deal_id"])
    assert deal is not None
    return json_response(group_view(group, deal, await group_db.members(pool, group["id"]), viewer, at))
