"""Points, member levels and member cards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import Field

from services.marketing.api.common import Model, alipay_user_id, db, now, path_id, settings, user_id
from services.marketing.domain.levels import level_for, store_page
from services.marketing.domain.points import MIN_BALANCE_TO_SPEND
from services.marketing.store import members as members_db
from services.marketing.store import points as points_db
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.http import NotFound, json_response, parse_query

routes = web.RouteTableDef()


@routes.get("/me/points")
async def my_points(request: web.Request) -> web.Response:
    """Spendable points (`balance`, of which `locked` held by unpaid orders) and, apart, the points still
    pending on orders that can be refunded, with when they release."""
    user = user_id(request)
    async with db(request).pool.acquire() as conn:
        acct = await points_db.account(conn, user)
        balance, locked, debt = (acct["balance"], acct["locked"], acct["debt"]) if acct else (0, 0, 0)
        entries = [{"kind": e["kind"], "delta": e["delta"], "shortfall": e["shortfall"], "pending": e["pending"],
                    "order_id": e["order_id"], "ref": e["ref"], "at": e["created_at"].isoformat()}
                   for e in await points_db.ledger(conn, user)]
        pending = [{"order_id": p["order_id"], "merchant_id": p["merchant_id"], "points": p["points"],
                    "paid_at": p["paid_at"].isoformat(),
                    "release_at": p["release_at"].isoformat() if p["release_at"] else None}
                   for p in await points_db.pending(conn, user)]
        pending_total = await points_db.pending_total(conn, user)
    return json_response({"balance": balance, "locked": locked, "available": balance - locked,
                          "usable": balance - locked >= MIN_BALANCE_TO_SPEND, "debt": debt,
                          "pending": pending_total, "pending_orders": pending, "entries": entries})


async def current_level(conn: Connection, request: web.Request, user: str, merchant_id: str) -> int:
    """The level from spend in the window as of now (a window that rolled on may have lowered it)."""
    config = settings(request)
    since = now(request) - timedelta(days=config.level_window_days)
    return level_for(await members_db.spend_since(conn, user, merchant_id, since), config.level_thresholds_fen)


async def card_view(conn: Connection, request: web.Request, user: str, merchant_id: str,
                    opened_at: Any) -> dict[str, Any]:
    acct = await points_db.account(conn, user)
    return {"merchant_id": merchant_id, "level": await current_level(conn, request, user, merchant_id),
            "points": acct["balance"] if acct else 0,
            "balance_fen": None,  # stored value belongs to payments: the gateway fills it in
            "store_page": store_page(merchant_id), "opened_at": opened_at.isoformat() if opened_at else None}


@routes.post("/merchants/{merchant_id}/card")
async def open_card(request: web.Request) -> web.Response:
    """Open (or show again) the caller's member card at a merchant."""
    user = user_id(request)
    merchant_id = path_id(request, "merchant_id")
    async with db(request).transaction() as tx:
        if not await members_db.merchant_known(tx.conn, merchant_id):
            raise NotFound("No such merchant", code="merchant_not_found")
        await members_db.open_card(tx.conn, user, merchant_id, now(request))
        alipay_user = alipay_user_id(request)
        # An Alipay card is opened for an Alipay user id (2088…); the merchant must have its card template.
        if alipay_user and await members_db.card_template(tx.conn, merchant_id) is not None:
            await members_db.want_alipay_card(tx.conn, user, merchant_id, alipay_user)
        member = await members_db.member(tx.conn, user, merchant_id)
        assert member is not None
        return json_response(await card_view(tx.conn, request, user, merchant_id, member["card_opened_at"]))


@routes.get("/me/cards")
async def my_cards(request: web.Request) -> web.Response:
    user = user_id(request)
    async with db(request).pool.acquire() as conn:
        rows = await members_db.cards(conn, user)
        items = [await card_view(conn, request, user, r["merchant_id"], r["card_opened_at"]) for r in rows]
    return json_response({"items": items})


class LevelQuery(Model):
    merchant_id: str = Field(min_length=1, max_length=64)


@routes.get("/me/level")
async def my_level(request: web.Request) -> web.Response:
    user = user_id(request)
    query = parse_query(request, LevelQuery)
    config = settings(request)
    since = now(request) - timedelta(days=config.level_window_days)
    async with db(request).pool.acquire() as conn:
        spend = await members_db.spend_since(conn, user, query.merchant_id, since)
    level = level_for(spend, config.level_thresholds_fen)
    higher = [t for t in sorted(config.level_thresholds_fen) if t > spend]
    return json_response({"merchant_id": query.merchant_id, "level": level, "spend_fen": spend,
                          "window_days": config.level_window_days,
                          "next_level_at_fen": higher[0] if higher else None})
