"""The platform's internal API (operators, through the gateway's /api/platform): the category tree."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web
from pydantic import Field

from services.catalog.api.buyer import Model, path_id
from services.catalog.domain import normalise_query
from services.catalog.flows import platform
from services.catalog.store import search
from shared.http import json_response, parse_body
from shared.service import DB

routes = web.RouteTableDef()


class CategoryBody(Model):
    name: str = Field(min_length=1, max_length=50)
    parent_id: str | None = Field(None, max_length=64)
    position: int = Field(0, ge=0, le=100_000)


class CategoryChange(Model):
    name: str | None = Field(None, min_length=1, max_length=50)
    parent_id: str | None = Field(None, max_length=64)
    position: int | None = Field(None, ge=0, le=100_000)
    to_top: bool = False


def category_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "parent_id": row["parent_id"], "name": row["name"], "position": row["position"]}


@routes.post("/platform/categories")
async def create_category(request: web.Request) -> web.Response:
    body = await parse_body(request, CategoryBody)
    async with request.app[DB].transaction() as tx:
        row = await platform.create_category(tx, body.name, body.parent_id, body.position)
    return json_response(category_view(row), status=201)


@routes.patch("/platform/categories/{category_id}")
async def change_category(request: web.Request) -> web.Response:
    category_id = path_id(request, "category_id", "category_not_found")
    body = await parse_body(request, CategoryChange)
    async with request.app[DB].transaction() as tx:
        row = await platform.change_category(tx, category_id, body.name, body.parent_id, body.to_top, body.position)
    return json_response(category_view(row))


@routes.delete("/platform/categories/{category_id}")
async def delete_category(request: web.Request) -> web.Response:
    category_id = path_id(request, "category_id", "category_not_found")
    async with request.app[DB].transaction() as tx:
        await platform.delete_category(tx, category_id)
    return web.Response(status=204)


class HotWordsBody(Model):
    words: list[str] = Field(max_length=20)


@routes.get("/platform/hot-words")
async def curated_hot_words(request: web.Request) -> web.Response:
    return json_response({"words": await search.curated_words(request.app[DB])})


@routes.put("/platform/hot-words")
async def replace_hot_words(request: web.Request) -> web.Response:
    """The curated list, in order (replaced whole, so a retry is harmless); words as search normalises them."""
    body = await parse_body(request, HotWordsBody)
    words = list(dict.fromkeys(w for w in (normalise_query(w) for w in body.words) if w))
    async with request.app[DB].transaction() as tx:
        await search.replace_curated_words(tx.conn, words)
    return json_response({"words": words})
