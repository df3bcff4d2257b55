"""Home content: merchants (and platform operators, for the mall) keep banners and featured collections;
`GET /home-content` gives what shows now, collections with their product cards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from aiohttp import web
from pydantic import AwareDatetime, BeforeValidator, Field

from services.catalog.api.buyer import Model, card, flash_view, path_id
from services.catalog.deps import deps_of
from services.catalog.flows import home as flows
from services.catalog.flows.home import HomeDraft, TargetKind
from services.catalog.store import catalogue, flash
from services.catalog.store import home as store
from shared.db import Tx
from shared.http import NotFound, current_merchant, idempotent, json_response, parse_body, parse_query

routes = web.RouteTableDef()
FLASH_SALES_SHOWN = 20  # running and upcoming flash sales on the home page, soonest first


def _iso_time(value: object) -> object:
    """An ISO 8601 time with its offset, read here: bodies are parsed strictly, where a string is no datetime."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


Time = Annotated[AwareDatetime, BeforeValidator(_iso_time)]
Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
IMAGE = r"^(https?://[^\s<>\"']+|/[^/\s<>\"'][^\s<>\"']*)?$"  # as a product's image: never javascript: or data:


class HomeItemBody(Model):
    kind: Literal["banner", "collection"]
    title: str = Field(min_length=1, max_length=60)
    image: str = Field("", max_length=500, pattern=IMAGE)
    target_kind: TargetKind | None = None
    target: str | None = Field(None, min_length=1, max_length=200)
    product_ids: list[str] = Field(default_factory=list, max_length=20)
    position: int = Field(0, ge=0, le=10_000)
    starts_at: Time
    ends_at: Time | None = None

    def draft(self, item_id: str | None = None) -> HomeDraft:
        values: dict[str, Any] = self.model_dump()
        if item_id:
            values["id"] = item_id
        return HomeDraft(**values)


class HomeQuery(Model):
    merchant_id: str | None = Field(None, min_length=1, max_length=64)


def item_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "merchant_id": row["merchant_id"], "kind": row["kind"], "title": row["title"],
            "image": row["image"], "target_kind": row["target_kind"], "target": row["target"],
            "product_ids": list(row["product_ids"]), "position": row["position"],
            "starts_at": row["starts_at"].isoformat(),
            "ends_at": row["ends_at"].isoformat() if row["ends_at"] else None}


@routes.get("/home-content")
async def home_content(request: web.Request) -> web.Response:
    """What shows now on the mall's home (no merchant_id) or a merchant's: banners, then collections with
    the cards of their products that can be bought, in the collection's order; and the flash sales running or
    coming (the mall's, whichever page asks)."""
    query = parse_query(request, HomeQuery)
    deps = deps_of(request.app)
    now = deps.clock.now()
    rows = await store.live_items(deps.db, query.merchant_id, now)
    wanted = sorted({p for r in rows for p in r["product_ids"]})
    cards = {r["id"]: card(r) for r in await catalogue.product_cards(deps.db, wanted)} if wanted else {}
    banners = [item_view(r) for r in rows if r["kind"] == "banner"]
    collections = [{**item_view(r), "products": [cards[p] for p in r["product_ids"] if p in cards]}
                   for r in rows if r["kind"] == "collection"]
    sales = await flash.current_sales(deps.db, now, FLASH_SALES_SHOWN)
    return json_response({"banners": banners, "collections": [c for c in collections if c["products"]],
                          "flash_sales": [{**flash_view(r, now), "name": r["name"], "image": r["image"]}
                                          for r in sales]})


async def _items(request: web.Request, owner: str | None) -> web.Response:
    return json_response({"items": [item_view(r) for r in await store.items_of(deps_of(request.app).db, owner)]})


async def _create(request: web.Request, owner: str | None, scope: str) -> web.Response:
    body = await parse_body(request, HomeItemBody)

    async def work(tx: Tx) -> tuple[int, Any]:
        return 201, item_view(await flows.save(tx, owner, body.draft()))

    return await idempotent(request, deps_of(request.app).db, scope, body.model_dump(mode="json"), work)


async def _replace(request: web.Request, owner: str | None) -> web.Response:
    body = await parse_body(request, HomeItemBody)
    item_id = path_id(request, "item_id", "home_item_not_found")
    async with deps_of(request.app).db.transaction() as tx:
        return json_response(item_view(await flows.save(tx, owner, body.draft(item_id))))


async def _delete(request: web.Request, owner: str | None) -> web.Response:
    item_id = path_id(request, "item_id", "home_item_not_found")
    if not await store.delete_item(deps_of(request.app).db, owner, item_id):
        raise NotFound("No such home item", code="home_item_not_found")
    return web.Response(status=204)


@routes.get("/merchant/home-items")
async def merchant_items(request: web.Request) -> web.Response:
    return await _items(request, current_merchant(request))


@routes.post("/merchant/home-items")
async def merchant_create(request: web.Request) -> web.Response:
    merchant_id = current_merchant(request)
    return await _create(request, merchant_id, f"home:{merchant_id}")


@routes.put("/merchant/home-items/{item_id}")
async def merchant_replace(request: web.Request) -> web.Response:
    return await _replace(request, current_merchant(request))


@routes.delete("/merchant/home-items/{item_id}")
async def merchant_delete(request: web.Request) -> web.Response:
    return await _delete(request, current_merchant(request))


# The mall's own content (platform operators through the gateway's /api/platform).


@routes.get("/platform/home-items")
async def platform_items(request: web.Request) -> web.Response:
    return await _items(request, None)


@routes.post("/platform/home-items")
async def platform_create(request: web.Request) -> web.Response:
    return await _create(request, None, "home:platform")


@routes.put("/platform/home-items/{item_id}")
async def platform_replace(request: web.Request) -> web.Response:
    return await _replace(request, None)


@routes.delete("/platform/home-items/{item_id}")
async def platform_delete(request: web.Request) -> web.Response:
    return await _delete(request, None)


