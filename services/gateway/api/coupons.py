"""Coupons and fission groups (marketing)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web
from pydantic import Field

from services.gateway import store
from services.gateway.models import CouponOut, GroupOut, Items, RefId
from services.gateway.routes import Call, Operation, QueryModel, forward, merchant_in_answer, merchant_in_query
from services.gateway.upstream import path, relay


class AvailableQuery(QueryModel):
    store_id: RefId | None = None
    merchant_id: RefId | None = None


class MineQuery(QueryModel):
    status: str | None = Field(default=None, pattern="^(available|locked|used|expired)$")


class NearbyCouponsQuery(QueryModel):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_m: int | None = Field(default=None, ge=1, le=50_000)


async def open_share_group(call: Call) -> web.StreamResponse:
    """The sharer's nickname goes to marketing with the call, so the shared group shows a name and never the
    sharer's user id (users live here; marketing keeps only that name)."""
    user = await store.find_user(call.db, call.user_id)
    nickname = quote(user["nickname"] if user is not None else "", safe="")
    target = path("/fission/{campaign_id}", **call.request.match_info)
    reply = await call.up.call(call.request, "marketing", "POST", target, json={},
                               headers={"X-User-Nickname": nickname})
    return relay(reply)


OPERATIONS = [
    Operation("GET", "/api/coupons/available", forward("coupons_available", "marketing", "GET", "/coupons/available"),
              "Coupon templates the user may claim", "coupons", query=AvailableQuery, answer=Items,
              visit_merchant=merchant_in_query),
    Operation("POST", "/api/coupons/{template_id}/claim",
              forward("claim_coupon", "marketing", "POST", "/coupons/{template_id}/claim"),
              "Claim a coupon", "coupons", answer=CouponOut, status=201, idempotent=True,
              visit_merchant=merchant_in_answer("merchant_id")),
    Operation("GET", "/api/coupons/mine", forward("my_coupons", "marketing", "GET", "/coupons/mine"),
              "The user's coupons", "coupons", query=MineQuery, answer=Items),
    Operation("GET", "/api/coupons/nearby", forward("coupons_nearby", "marketing", "GET", "/coupons/nearby"),
              "Coupons of stores nearby", "coupons", query=NearbyCouponsQuery, answer=Items),
    Operation("GET", "/api/coupons/{id}", forward("my_coupon", "marketing", "GET", "/coupons/{id}"),
              "One of the user's coupons", "coupons", answer=CouponOut),
    Operation("POST", "/api/fission/{campaign_id}", open_share_group,
              "Open a share group", "coupons", answer=GroupOut, status=201),
    Operation("POST", "/api/fission/groups/{group_id}/join",
              forward("join_share_group", "marketing", "POST", "/fission/groups/{group_id}/join"),
              "Join a friend's share group", "coupons", answer=GroupOut),
    Operation("GET", "/api/fission/groups/{group_id}",
              forward("share_group", "marketing", "GET", "/fission/groups/{group_id}"),
              "A share group", "coupons", answer=GroupOut),
]
