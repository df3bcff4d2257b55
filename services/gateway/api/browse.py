"""Browse and enter: home (composed), search, products, stores, favourites (catalog)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pydantic import Field

from services.gateway.models import (
    FavoritesOut,
    HomeOut,
    Items,
    ProductOut,
    ProductPageOut,
    SearchOut,
    StoreOut,
    SuggestOut,
    text,
)
from services.gateway.routes import Call, Operation, QueryModel, forward, merchant_in_answer
from shared.http import Problem, json_response
from shared.logging import get_logger

log = get_logger("gateway")


class HomeQuery(QueryModel):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    # A merchant's home (its store page): its banners and collections instead of the mall's.
    merchant_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")


class SearchQuery(QueryModel):
    q: str = text(100)
    page: int = Field(default=1, ge=1, le=1000)
    page_size: int = Field(default=20, ge=1, le=50)


class SuggestQuery(QueryModel):
    q: str = text(100)
    limit: int | None = Field(default=None, ge=1, le=20)


class PageQuery(QueryModel):
    page: int = Field(default=1, ge=1, le=1000)
    page_size: int = Field(default=20, ge=1, le=50)


class AlsoQuery(QueryModel):
    limit: int | None = Field(default=None, ge=1, le=50)


class NearbyQuery(QueryModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_m: int = Field(default=3000, ge=1, le=50_000)


async def _part(coro: Any, key: str) -> list[Any]:
    """One part of the home page; a failing part is an empty list, not a failed page."""
    try:
        answer = await coro
    except Problem as exc:
        log.info("home part missing", part=key, code=exc.code)
        return []
    if isinstance(answer, dict):
        answer = answer.get("items", answer.get(key, []))
    return answer if isinstance(answer, list) else []


async def home(call: Call) -> web.StreamResponse:
    q: HomeQuery = call.query
    parts = [_part(call.up.json(call.request, "catalog", "GET", "/categories"), "categories"),
             _part(call.up.json(call.request, "catalog", "GET", "/recommendations"), "recommended")]
    if q.lat is not None and q.lng is not None:
        parts.append(_part(call.up.json(call.request, "marketing", "GET", "/coupons/nearby",
                                        query={"lat": q.lat, "lng": q.lng}), "nearby_coupons"))
    content = _content(call.up.json(call.request, "catalog", "GET", "/home-content",
                                    query={"merchant_id": q.merchant_id} if q.merchant_id else None))
    (banners, collections, flash_sales), categories, recommended, *nearby = await asyncio.gather(content, *parts)
    return json_response({"categories": categories, "recommended": recommended,
                          "nearby_coupons": nearby[0] if nearby else [], "banners": banners,
                          "collections": collections, "flash_sales": flash_sales})


async def _content(coro: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The scheduled banners, featured collections and flash sales live now; none when catalog cannot say."""
    try:
        answer = await coro
    except Problem as exc:
        log.info("home part missing", part="content", code=exc.code)
        return [], [], []
    return (list(answer.get("banners", [])), list(answer.get("collections", [])),
            list(answer.get("flash_sales", [])))


async def product_recommendations(call: Call) -> web.StreamResponse:
    q: AlsoQuery = call.query
    answer = await call.up.json(call.request, "catalog", "GET", "/recommendations",
                                query={"product_id": call.param("id"), "limit": q.limit})
    return json_response(answer)


OPERATIONS = [
    Operation("GET", "/api/home", home, "Home page: categories, recommended, nearby coupons, the banners, "
              "featured collections and flash sales (running or upcoming, with what is left) live now (the "
              "mall's, or with merchant_id a merchant's)", "browse",
              query=HomeQuery, answer=HomeOut),
    Operation("GET", "/api/search", forward("search", "catalog", "GET", "/search"),
              "Search products (pinyin and initials too); records the query", "browse",
              query=SearchQuery, answer=SearchOut),
    Operation("GET", "/api/search/suggest", forward("search_suggest", "catalog", "GET", "/search/suggest"),
              "Suggestions while typing", "browse", query=SuggestQuery, answer=SuggestOut),
    Operation("GET", "/api/search/history", forward("search_history", "catalog", "GET", "/search/history"),
              "The user's searches, newest first", "browse", answer=Items),
    Operation("DELETE", "/api/search/history",
              forward("clear_search_history", "catalog", "DELETE", "/search/history", status=204),
              "Forget the user's searches", "browse", status=204),
    Operation("GET", "/api/products/{id}", forward("product", "catalog", "GET", "/products/{id}"),
              "A product with its SKUs", "browse", answer=ProductOut, visit_merchant=merchant_in_answer("merchant_id")),
    Operation("GET", "/api/categories", forward("categories", "catalog", "GET", "/categories"),
              "The category tree", "browse", answer=Items),
    Operation("GET", "/api/categories/{id}/products",
              forward("category_products", "catalog", "GET", "/categories/{id}/products"),
              "Best sellers of a category", "browse", query=PageQuery, answer=ProductPageOut),
    Operation("GET", "/api/products/{id}/recommendations", product_recommendations,
              "Bought together with this product", "browse", query=AlsoQuery, answer=Items),
    Operation("GET", "/api/stores/nearby", forward("stores_nearby", "catalog", "GET", "/stores/nearby"),
              "Stores nearest first", "browse", query=NearbyQuery, answer=Items),
    # After /api/stores/nearby, which it would otherwise shadow.
    Operation("GET", "/api/stores/{id}", forward("store", "catalog", "GET", "/stores/{id}"), "A store", "browse",
              answer=StoreOut, visit_merchant=merchant_in_answer("merchant_id")),
    Operation("PUT", "/api/favorites/products/{id}",
              forward("favorite_product", "catalog", "PUT", "/favorites/products/{id}", status=204),
              "Favourite a product", "browse", status=204),
    Operation("DELETE", "/api/favorites/products/{id}",
              forward("unfavorite_product", "catalog", "DELETE", "/favorites/products/{id}", status=204),
              "Un-favourite a product", "browse", status=204),
    Operation("PUT", "/api/favorites/stores/{id}",
              forward("favorite_store", "catalog", "PUT", "/favorites/stores/{id}", status=204),
              "Favourite a store", "browse", status=204),
    Operation("DELETE", "/api/favorites/stores/{id}",
              forward("unfavorite_store", "catalog", "DELETE", "/favorites/stores/{id}", status=204),
              "Un-favourite a store", "browse", status=204),
    Operation("GET", "/api/favorites", forward("favorites", "catalog", "GET", "/favorites"),
              "Favourite products and stores", "browse", answer=FavoritesOut),
]
