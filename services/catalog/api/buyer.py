"""The shopper-facing internal API (the gateway serves it under /api): browse, search, scan, favourites,
nearby stores, recommendations. Parse, call the store, answer; no SQL and no rules here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import Field, field_validator

from services.catalog.deps import deps_of
from services.catalog.domain import flash_state, is_valid_ean13, like_escape, plan_search
from services.catalog.settings import CatalogSettings
from services.catalog.store import catalogue, flash, people, search
from shared.geo import bounding_box
from shared.http import NotFound, StrictModel, Unprocessable, current_user, json_response, parse_query
from shared.http import path_id as shared_path_id
from shared.service import DB, SETTINGS

routes = web.RouteTableDef()


# Request models: strict; text PostgreSQL can't store is refused by shared.http.parse, never a 500.
Model = StrictModel


def path_id(request: web.Request, name: str, not_found: str) -> str:
    """An id from the path; one that cannot exist (too long, characters no id has) is simply not found."""
    return shared_path_id(request, name, code=not_found, detail=f"No such {name.removesuffix('_id')}")
FUZZY_THRESHOLD = 0.25  # trigram similarity of a typo to the word it means (iphnoe ~ iphone 0.27, ultar ~ ultra 0.33)


class Page(Model):
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(20, ge=1, le=50)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class SearchQuery(Page):
    q: str = Field(min_length=1, max_length=100)


class SuggestQuery(Model):
    q: str = Field(min_length=1, max_length=100)
    limit: int = Field(10, ge=1, le=20)


class NearbyQuery(Model):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_m: int = Field(3000, ge=1, le=50_000)
    limit: int = Field(20, ge=1, le=50)


class RecommendQuery(Model):
    sku_ids: list[str] = Field(default_factory=list, max_length=50)
    product_id: str | None = Field(None, min_length=1, max_length=64)
    limit: int = Field(10, ge=1, le=50)

    @field_validator("sku_ids", mode="before")
    @classmethod
    def comma_separated(cls, value: Any) -> Any:
        return [v for v in value.split(",") if v] if isinstance(value, str) else value


def card(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "price_fen": row["price_fen"], "image": row["image"],
            "sold": row["sold"]}


def sku_view(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "specs": row["specs"], "price_fen": row["price_fen"],
            "available": row["available"] if row["sellable"] else 0, "barcode": row["barcode"],
            "deposit_fen": row["deposit_fen"], "sellable": row["sellable"]}


async def product_detail(request: web.Request, product_id: str) -> dict[str, Any]:
    db = request.app[DB]
    product = await catalogue.get_product(db, product_id)
    if product is None or not product["active"]:
        raise NotFound("No such product", code="product_not_found")
    skus = await catalogue.product_skus(db, product_id)
    now = deps_of(request.app).clock.now()
    sales = await flash.product_sales(db, product_id, now)
    return {"id": product["id"], "name": product["name"], "merchant_id": product["merchant_id"],
            "store_ids": list(product["store_ids"]), "category_id": product["category_id"],
            "brand": product["brand"], "description": product["description"], "image": product["image"],
            "sold": product["sold"], "skus": [sku_view(s) for s in skus],
            # The running or next flash sale (秒杀) of one of its SKUs, or null.
            "flash_sale": flash_view(sales[0], now) if sales else None}


def flash_view(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    """A flash sale as buyers and merchants see it: its window (for a countdown) and what is left."""
    return {"id": row["id"], "sku_id": row["sku_id"], "product_id": row["product_id"],
            "price_fen": row["price_fen"], "list_price_fen": row["list_price_fen"], "quantity": row["quantity"],
            "remaining": row["remaining"], "per_buyer_limit": row["per_buyer_limit"],
            "starts_at": row["starts_at"].isoformat(), "ends_at": row["ends_at"].isoformat(),
            "state": flash_state(starts_at=row["starts_at"], ends_at=row["ends_at"], remaining=row["remaining"],
                                 now=now)}


def _user_or_none(request: web.Request) -> str | None:
    return request.headers.get("X-User-Id") or None


# --- browse -------------------------------------------------------------------------------------------


@routes.get("/categories")
async def categories(request: web.Request) -> web.Response:
    rows = await catalogue.all_categories(request.app[DB])
    nodes = {r["id"]: {"id": r["id"], "name": r["name"], "children": []} for r in rows}
    roots: list[dict[str, Any]] = []
    for r in rows:
        parent = nodes.get(r["parent_id"]) if r["parent_id"] else None
        (parent["children"] if parent else roots).append(nodes[r["id"]])
    return json_response({"items": roots})


@routes.get("/categories/{category_id}/products")
async def category_products(request: web.Request) -> web.Response:
    page = parse_query(request, Page)
    db = request.app[DB]
    category_id = path_id(request, "category_id", "category_not_found")
    if await catalogue.get_category(db, category_id) is None:
        raise NotFound("No such category", code="category_not_found")
    rows = await catalogue.products_in_category(db, category_id, page.page_size, page.offset)
    if not rows and page.offset:  # past the last page: still say how many there are
        first = await catalogue.products_in_category(db, category_id, 1, 0)
        return json_response({"items": [], "total": first[0]["total"] if first else 0})
    return json_response({"items": [card(r) for r in rows], "total": rows[0]["total"] if rows else 0})


@routes.get("/products/{product_id}")
async def product(request: web.Request) -> web.Response:
    """A signed-in buyer's view leaves a footprint (viewing again moves it to the top)."""
    detail = await product_detail(request, path_id(request, "product_id", "product_not_found"))
    user_id = _user_or_none(request)
    if user_id:
        deps = deps_of(request.app)
        await people.leave_footprint(deps.db, user_id, detail["id"], deps.clock.now(),
                                     deps.settings.footprints_size)
    return json_response(detail)


@routes.get("/barcodes/{code}")
async def barcode(request: web.Request) -> web.Response:
    code = request.match_info["code"].strip()
    if not is_valid_ean13(code):
        raise Unprocessable("Not a valid EAN-13 barcode (13 digits with a correct check digit)",
                            code="invalid_barcode")
    sku = await catalogue.sku_by_barcode(request.app[DB], code)
    if sku is None:
        raise NotFound("No product has this barcode", code="barcode_not_found")
    return json_response({"sku_id": sku["id"], "product": await product_detail(request, sku["product_id"])})


# --- search -------------------------------------------------------------------------------------------


@routes.get("/search")
async def search_products(request: web.Request) -> web.Response:
    query = parse_query(request, SearchQuery)
    plan = plan_search(query.q)
    if not plan.text:
        raise Unprocessable("The query is empty", code="empty_query", errors=[{"field": "q", "message": "empty"}])
    user_id = _user_or_none(request)
    settings = request.app[SETTINGS]
    assert isinstance(settings, CatalogSettings)
    db = request.app[DB]
    async with db.transaction() as tx:  # read-only; the transaction scopes the similarity threshold
        rows = await search.search_products(tx.conn, plan, query.page_size, query.offset, FUZZY_THRESHOLD,
                                            settings.search_count_cap)
        counted = rows[0] if rows else None
        if not rows and query.offset:  # past the last page: still say how many there are
            first = await search.search_products(tx.conn, plan, 1, 0, FUZZY_THRESHOLD, settings.search_count_cap)
            counted = first[0] if first else None
    if user_id:
        async with db.transaction() as tx:
            await search.remember_search(tx.conn, user_id, plan.text)
            await search.trim_history(tx.conn, user_id, settings.search_history_size)
            # Towards popular queries (suggestions, hot words) once per signed-in buyer (one buyer repeating spam
            # makes no suggestion), and for at most so many new queries of one buyer a day (one account cannot
            # seed many queries for a few friends to finish); the shared counter row is touched only by a
            # buyer's first search of the query.
            may_count = rows and query.page == 1 and \
                await search.counted_today(tx.conn, user_id) < settings.popular_queries_per_buyer_day
            if may_count and await search.first_search_by(tx.conn, plan.text, user_id):
                await search.count_query(tx.conn, plan.text, plan.pinyin)
                await search.note_query_merchants(tx.conn, plan.text, [r["id"] for r in rows])
    # total_exact false: more than `total` (the count cap) match; see API.md.
    return json_response({"items": [card(r) for r in rows], "total": counted["total"] if counted else 0,
                          "total_exact": counted["total_exact"] if counted else True})


@routes.get("/search/suggest")
async def suggest(request: web.Request) -> web.Response:
    query = parse_query(request, SuggestQuery)
    plan = plan_search(query.q)
    if not plan.text:
        return json_response({"suggestions": []})
    db = request.app[DB]
    settings = request.app[SETTINGS]
    assert isinstance(settings, CatalogSettings)
    popular = await search.popular_queries(db, f"{like_escape(plan.text)}%", like_escape(plan.pinyin), query.limit,
                                           settings.suggest_min_buyers)
    async with db.transaction() as tx:  # read-only; the transaction scopes the planner settings
        names = await search.suggest_names(tx.conn, plan, query.limit)
    suggestions = list(dict.fromkeys([*popular, *names]))[: query.limit]
    return json_response({"suggestions": suggestions})


@routes.get("/search/history")
async def history(request: web.Request) -> web.Response:
    user_id = current_user(request)
    settings = request.app[SETTINGS]
    assert isinstance(settings, CatalogSettings)
    rows = await search.search_history(request.app[DB], user_id, settings.search_history_size)
    return json_response({"items": [{"q": r["q"], "at": r["at"].isoformat()} for r in rows]})


@routes.delete("/search/history")
async def clear_history(request: web.Request) -> web.Response:
    await search.clear_history(request.app[DB], current_user(request))
    return web.Response(status=204)


# --- favourites ---------------------------------------------------------------------------------------


@routes.put("/favorites/products/{product_id}")
async def favorite_product(request: web.Request) -> web.Response:
    user_id = current_user(request)
    db = request.app[DB]
    product_id = path_id(request, "product_id", "product_not_found")
    found = await catalogue.get_product(db, product_id)
    if found is None or not found["active"]:
        raise NotFound("No such product", code="product_not_found")
    await people.add_favorite_product(db, user_id, product_id)
    return web.Response(status=204)


@routes.delete("/favorites/products/{product_id}")
async def unfavorite_product(request: web.Request) -> web.Response:
    user_id = current_user(request)
    await people.remove_favorite_product(request.app[DB], user_id, path_id(request, "product_id", "product_not_found"))
    return web.Response(status=204)


@routes.put("/favorites/stores/{store_id}")
async def favorite_store(request: web.Request) -> web.Response:
    user_id = current_user(request)
    db = request.app[DB]
    store_id = path_id(request, "store_id", "store_not_found")
    if await catalogue.get_store(db, store_id) is None:
        raise NotFound("No such store", code="store_not_found")
    await people.add_favorite_store(db, user_id, store_id)
    return web.Response(status=204)


@routes.delete("/favorites/stores/{store_id}")
async def unfavorite_store(request: web.Request) -> web.Response:
    user_id = current_user(request)
    await people.remove_favorite_store(request.app[DB], user_id, path_id(request, "store_id", "store_not_found"))
    return web.Response(status=204)


@routes.get("/favorites")
async def favorites(request: web.Request) -> web.Response:
    user_id = current_user(request)
    db = request.app[DB]
    ids = await people.favorite_product_ids(db, user_id, 200)
    cards = {r["id"]: card(r) for r in await catalogue.product_cards(db, ids)}
    stores = await people.favorite_stores(db, user_id, 200)
    return json_response({"products": [cards[i] for i in ids if i in cards],
                          "stores": [store_view(s) for s in stores]})


# --- stores and recommendations -----------------------------------------------------------------------


def store_view(row: asyncpg.Record) -> dict[str, Any]:
    view = {"id": row["id"], "merchant_id": row["merchant_id"], "name": row["name"], "address": row["address"],
            "lat": row["lat"], "lng": row["lng"]}
    if "distance_m" in row.keys():  # noqa: SIM118 - asyncpg records have keys(), not __contains__ on names
        view["distance_m"] = round(row["distance_m"])
    return view


@routes.get("/stores/nearby")
async def nearby(request: web.Request) -> web.Response:
    query = parse_query(request, NearbyQuery)
    rows = await catalogue.nearby_stores(request.app[DB], query.lat, query.lng, query.radius_m,
                                         bounding_box(query.lat, query.lng, query.radius_m), query.limit)
    return json_response({"items": [store_view(r) for r in rows]})


@routes.get("/stores/{store_id}")
async def store_detail(request: web.Request) -> web.Response:
    row = await catalogue.get_store(request.app[DB], path_id(request, "store_id", "store_not_found"))
    if row is None or not row["active"]:
        raise NotFound("No such store", code="store_not_found")
    return json_response(store_view(row))


@routes.get("/recommendations")
async def recommendations(request: web.Request) -> web.Response:
    """Bought together with the given SKUs / product, then best sellers of their categories, then anywhere."""
    query = parse_query(request, RecommendQuery)
    db = request.app[DB]
    seeds = await people.products_of_skus(db, query.sku_ids)
    seed_ids = [r["id"] for r in seeds] + ([query.product_id] if query.product_id else [])
    categories = sorted({r["category_id"] for r in seeds if r["category_id"]})
    if query.product_id:
        found = await catalogue.get_product(db, query.product_id)
        if found is not None and found["category_id"]:
            categories.append(found["category_id"])
    picked = await people.bought_with(db, seed_ids, query.limit) if seed_ids else []
    for scope in ([categories] if categories else []) + [None]:
        if len(picked) < query.limit:
            picked += await people.popular_products(db, scope, seed_ids + picked, query.limit - len(picked))
    cards = {r["id"]: card(r) for r in await catalogue.product_cards(db, picked)}
    return json_response({"items": [cards[i] for i in picked if i in cards]})



# --- footprints and hot words -------------------------------------------------------------------------


class HotQuery(Model):
    limit: int = Field(10, ge=1, le=20)


@routes.get("/me/footprints")
async def footprints(request: web.Request) -> web.Response:
    """The products the buyer viewed, newest first (those no longer on sale left out)."""
    user_id = current_user(request)
    deps = deps_of(request.app)
    rows = await people.footprints(deps.db, user_id, deps.settings.footprints_size)
    cards = {r["id"]: card(r) for r in await catalogue.product_cards(deps.db, [r["product_id"] for r in rows])}
    return json_response({"items": [{**cards[r["product_id"]], "viewed_at": r["at"].isoformat()}
                                    for r in rows if r["product_id"] in cards]})


@routes.delete("/me/footprints")
async def clear_footprints(request: web.Request) -> web.Response:
    await people.clear_footprints(deps_of(request.app).db, current_user(request))
    return web.Response(status=204)


@routes.get("/search/hot")
async def hot_words(request: web.Request) -> web.Response:
    """The curated words first, then what many distinct buyers searched (never a blocked term)."""
    query = parse_query(request, HotQuery)
    deps = deps_of(request.app)
    curated = await search.curated_words(deps.db)
    searched = await search.hot_queries(deps.db, deps.settings.hot_word_min_buyers, query.limit)
    words = [{"q": w, "curated": True} for w in curated]
    words += [{"q": q, "curated": False} for q in searched if q not in curated]
    return json_response({"items": words[: query.limit]})
