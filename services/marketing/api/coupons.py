"""Users' coupon calls: what can be claimed, claiming (also by store code), my coupons, nearby offers."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from asyncpg import Record
from pydantic import Field

from services.marketing.api.common import (
    Model,
    alipay_user_id,
    db,
    maybe_idempotent,
    now,
    path_id,
    settings,
    user_id,
)
from services.marketing.domain import qr
from services.marketing.domain.coupons import credit_allows
from services.marketing.flows.claims import coupon_view, issue_coupon
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import coupons as coupons_db
from services.marketing.store import members as members_db
from shared.db import Tx
from shared.geo import bounding_box, distance_m
from shared.http import (
    Conflict,
    NotFound,
    credit_score,
    idempotent,
    json_response,
    parse_body,
    parse_query,
)

routes = web.RouteTableDef()

TEMPLATE_FIELDS = ("id", "campaign_id", "merchant_id", "name", "channel", "kind", "amount_fen", "threshold_fen",
                   "percent_off_bp", "cap_fen", "valid_days", "total_qty", "per_user_limit", "store_id",
                   "category_id", "min_credit_score")


def template_view(row: Record) -> dict[str, Any]:
    view: dict[str, Any] = {k: row[k] for k in TEMPLATE_FIELDS}
    view["valid_until"] = row["valid_until"].isoformat() if row["valid_until"] else None
    view["remaining"] = row["total_qty"] - row["issued_qty"]
    return view


class AvailableQuery(Model):
    store_id: str | None = Field(default=None, max_length=64)
    merchant_id: str | None = Field(default=None, max_length=64)


@routes.get("/coupons/available")
async def available(request: web.Request) -> web.Response:
    """Public offers the caller may claim; credit-gated ones only when the caller's score passes."""
    query = parse_query(request, AvailableQuery)
    score = credit_score(request)
    rows = await campaigns_db.claimable_templates(db(request).pool, now(request), merchant_id=query.merchant_id,
                                                  store_id=query.store_id)
    return json_response({"items": [template_view(r) for r in rows if credit_allows(r["min_credit_score"], score)]})


@routes.post("/coupons/{template_id}/claim")
async def claim(request: web.Request) -> web.Response:
    user = user_id(request)
    template_id = path_id(request, "template_id")
    score = credit_score(request)
    at = now(request)
    alipay = alipay_user_id(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        template = await campaigns_db.get_template(tx.conn, template_id)
        if template is None or template["channel"] != "public":
            raise NotFound("No such offer", code="template_not_found")
        coupon = await issue_coupon(tx, template, user, source="claim", now=at, credit_score=score,
                                    alipay_user_id=alipay)
        return 201, coupon_view(coupon, at)

    return await idempotent(request, db(request), f"claim:{user}", {"template_id": template_id}, work)


class CodeClaim(Model):
    code: str = Field(min_length=1, max_length=qr.MAX_LENGTH)


@routes.post("/store-codes/claim")
async def claim_by_code(request: web.Request) -> web.Response:
    """Scanning a store's printed code claims that store's coupon. Idempotency-Key optional."""
    user = user_id(request)
    body = await parse_body(request, CodeClaim)
    at = now(request)
    try:
        code = qr.read(settings(request).qr_keys, body.code, at)
    except qr.CodeRefused as refused:
        raise Conflict(refused.detail, code=refused.code) from None
    score = credit_score(request)

    async def work(tx: Tx) -> tuple[int, Any]:
        template = await campaigns_db.get_template(tx.conn, code.template_id)
        if template is None or template["channel"] not in ("public", "store_code") \
                or template["store_id"] != code.store_id:
            raise Conflict("This code no longer claims a coupon", code="store_code_invalid")
        coupon = await issue_coupon(tx, template, user, source="store_code", now=at, credit_score=score,
                                    alipay_user_id=alipay_user_id(request))
        return 201, {**coupon_view(coupon, at), "store_id": code.store_id}

    return await maybe_idempotent(request, f"store-code:{user}", body.code, work)


class MineQuery(Model):
    status: Literal["available", "locked", "used", "expired"] | None = None


@routes.get("/coupons/mine")
async def mine(request: web.Request) -> web.Response:
    user = user_id(request)
    query = parse_query(request, MineQuery)
    at = now(request)
    rows = await coupons_db.coupons_of_user(db(request).pool, user, query.status, at)
    return json_response({"items": [coupon_view(r, at) for r in rows]})


@routes.get("/coupons/{coupon_id}")
async def get_coupon(request: web.Request) -> web.Response:
    user = user_id(request)
    row = await coupons_db.get_coupon_with_template(db(request).pool, path_id(request, "coupon_id"))
    if row is None or row["user_id"] != user:  # another user's coupon does not exist for this caller
        raise NotFound("No such coupon", code="coupon_not_found")
    return json_response(coupon_view(row, now(request)))


class NearbyQuery(Model):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_m: int = Field(default=3_000, gt=0)


@routes.get("/coupons/nearby")
async def nearby(request: web.Request) -> web.Response:
    """Public offers of stores within the radius, nearest store first."""
    query = parse_query(request, NearbyQuery)
    radius = min(query.radius_m, settings(request).nearby_max_radius_m)
    score = credit_score(request)
    pool = db(request).pool
    stores = {}
    for store in await members_db.stores_in_box(pool, bounding_box(query.lat, query.lng, radius)):
        distance = distance_m(query.lat, query.lng, store["lat"], store["lng"])
        if distance <= radius:
            stores[store["store_id"]] = (store, distance)
    rows = await campaigns_db.claimable_templates(pool, now(request), store_ids=list(stores)) if stores else []
    items = []
    for row in rows:
        if not credit_allows(row["min_credit_score"], score):
            continue
        store, distance = stores[row["store_id"]]
        items.append({**template_view(row), "distance_m": round(distance),
                      "store": {"id": store["store_id"], "name": store["name"], "address": store["address"],
                                "lat": store["lat"], "lng": store["lng"]}})
    items.sort(key=lambda item: (item["distance_m"], item["id"]))
    return json_response({"items": items})

