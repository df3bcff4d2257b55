"""HTTP of fulfilment (the gateway is the only caller): parse, call a flow, answer.

Buyer calls filter by the gateway's X-User-Id and merchant calls by X-Merchant-Id, so another buyer's
address or another merchant's order is simply not found (404: its existence is not revealed)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from services.fulfilment import domain, flows, store
from services.fulfilment.settings import FulfilmentSettings
from shared.db import Tx
from shared.http import StrictModel, current_user, idempotent, json_response, parse_body
from shared.service import DB, SETTINGS

routes = web.RouteTableDef()


class AddressBody(StrictModel):
    """The address's fields, or `alipay_address` as `my.getAddress` returned it (its fields are mapped)."""

    name: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=20)
    province: str = Field(default="", max_length=30)
    city: str = Field(default="", max_length=30)
    district: str = Field(default="", max_length=30)
    detail: str = Field(default="", max_length=200)
    region_code: str = Field(default="", max_length=12)
    is_default: bool | None = None
    alipay_address: dict[str, str | None] | None = Field(default=None, max_length=20)

    def fields(self) -> dict[str, Any]:
        if self.alipay_address is not None:
            return domain.from_alipay(self.alipay_address)
        return self.model_dump(exclude={"is_default", "alipay_address"})


def settings_of(request: web.Request) -> FulfilmentSettings:
    settings = request.app[SETTINGS]
    assert isinstance(settings, FulfilmentSettings)
    return settings


@routes.get("/me/addresses")
async def list_addresses(request: web.Request) -> web.Response:
    user_id = current_user(request)
    items = await store.list_addresses(request.app[DB].pool, user_id)
    return json_response({"items": items})


@routes.post("/me/addresses")
async def add_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, AddressBody)
    limit = settings_of(request).max_addresses_per_buyer

    async def work(tx: Tx) -> tuple[int, Any]:
        return 201, await flows.add_address(tx, user_id, body.fields(), bool(body.is_default), limit)

    return await idempotent(request, request.app[DB], f"addresses:{user_id}", body.model_dump(mode="json"), work)


@routes.put("/me/addresses/{address_id}")
async def change_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    body = await parse_body(request, AddressBody)
    async with request.app[DB].transaction() as tx:
        changed = await flows.change_address(tx, user_id, request.match_info["address_id"], body.fields(),
                                             body.is_default)
    return json_response(changed)


@routes.delete("/me/addresses/{address_id}")
async def remove_address(request: web.Request) -> web.Response:
    user_id = current_user(request)
    async with request.app[DB].transaction() as tx:
        await flows.remove_address(tx, user_id, request.match_info["address_id"])
    return web.Response(status=204)
