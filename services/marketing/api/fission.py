"""Fission (裂变): open a share group, friends join from the shared link, N joins unlock the reward once."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web
from asyncpg import Record

from services.marketing.api.common import db, now, path_id, user_id
from services.marketing.flows.claims import campaign_running, issue_coupon
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import fission as fission_db
from services.marketing.store import new_id
from shared.db import Queryable as Connection  # reads may run on the pool
from shared.db import Tx
from shared.http import Conflict, NotFound, json_response, storable
from shared.refusal import Refusal

routes = web.RouteTableDef()

NICKNAME = "X-User-Nickname"  # the caller's nickname, percent-encoded UTF-8 (the gateway sends it)
MAX_NICKNAME = 64


def caller_nickname(request: web.Request) -> str:
    """The nickname the gateway passed, or '' (text PostgreSQL cannot store is dropped, never a 500)."""
    nickname = unquote(request.headers.get(NICKNAME, ""), errors="replace").strip()[:MAX_NICKNAME]
    return nickname if storable(nickname) else ""


def group_view(group: Record, *, viewer: str | None = None, joined_by_viewer: bool | None = None) -> dict[str, Any]:
    """What anyone holding the shared link sees: the sharer's nickname, never a user id (a friend must not
    learn the sharer's account id, nor the sharer the friends')."""
    view: dict[str, Any] = {
        "id": group["id"], "campaign_id": group["campaign_id"],
        "sharer": {"nickname": group["sharer_nickname"] or None}, "is_sharer": viewer == group["sharer_id"],
        "joined": group["joined"], "needed": group["needed"], "unlocked": group["unlocked_at"] is not None,
        "unlocked_at": group["unlocked_at"].isoformat() if group["unlocked_at"] else None,
        "created_at": group["created_at"].isoformat()}
    if viewer == group["sharer_id"]:
        view["reward_coupon_id"] = group["reward_coupon_id"]
    if joined_by_viewer is not None:
        view["joined_by_me"] = joined_by_viewer
    return view


async def running_fission_campaign(conn: Connection, campaign_id: str, at: Any, *, lock: bool = False) -> Record:
    campaign = await campaigns_db.get_campaign(conn, campaign_id, for_update=lock)
    if campaign is None or campaign["kind"] != "fission":
        raise NotFound("No such fission campaign", code="campaign_not_found")
    if not campaign_running(campaign, at):
        raise Conflict("The campaign is not running", code="campaign_not_running")
    return campaign


@routes.post("/fission/{campaign_id}")
async def open_group(request: web.Request) -> web.Response:
    """The caller's share group for a campaign; opening it again answers the same group."""
    user = user_id(request)
    campaign_id, at = path_id(request, "campaign_id"), now(request)
    async with db(request).transaction() as tx:
        campaign = await running_fission_campaign(tx.conn, campaign_id, at)
        if await campaigns_db.fission_template(tx.conn, campaign_id, "fission_sharer") is None:
            raise Conflict("The campaign has no reward yet", code="campaign_not_running")
        group = await fission_db.open_group(tx.conn, group_id=new_id("grp"), campaign_id=campaign_id,
                                            sharer_id=user, needed=campaign["fission_needed"], now=at,
                                            nickname=caller_nickname(request))
    return json_response(group_view(group, viewer=user), status=201)


@routes.post("/fission/groups/{group_id}/join")
async def join(request: web.Request) -> web.Response:
    """A friend joins. The group row's conditional update orders concurrent joins: exactly one of them
    makes the count reach N, and only that one unlocks the sharer's reward."""
    user = user_id(request)
    group_id, at = path_id(request, "group_id"), now(request)
    async with db(request).transaction() as tx:
        group = await fission_db.get_group(tx.conn, group_id)
        if group is None:
            raise NotFound("No such share group", code="group_not_found")
        if group["sharer_id"] == user:
            raise Conflict("You cannot join your own share group", code="own_group")
        # Campaign row first, as every coupon issue does: joins then take their locks in one order.
        await running_fission_campaign(tx.conn, group["campaign_id"], at, lock=True)
        if not await fission_db.add_join(tx.conn, group_id, user, at):
            raise Conflict("You already joined this share group", code="already_joined")
        counted = await fission_db.count_join(tx.conn, group_id)
        if counted is None:
            raise Conflict("This share group is already complete", code="group_complete")
        unlocked = await fission_db.unlock(tx.conn, group_id, at)
        if unlocked is not None:
            reward = await campaigns_db.fission_template(tx.conn, group["campaign_id"], "fission_sharer")
            assert reward is not None  # a group opens only when the reward exists
            coupon = await issue_coupon(tx, reward, group["sharer_id"], source="fission", now=at,
                                        check_credit=False)
            await fission_db.set_reward(tx.conn, group_id, coupon["id"])
        friend_coupon = await gift_friend(tx, group["campaign_id"], group_id, user, at)
        final = await fission_db.get_group(tx.conn, group_id)
    assert final is not None
    answer = group_view(final, viewer=user, joined_by_viewer=True)
    answer["friend_coupon_id"] = friend_coupon
    return json_response(answer)


async def gift_friend(tx: Tx, campaign_id: str, group_id: str, user: str, at: Any) -> str | None:
    """The small coupon a helping friend may get; when there is none left for them, the join still counts."""
    conn = tx.conn
    gift = await campaigns_db.fission_template(conn, campaign_id, "fission_friend")
    if gift is None:
        return None
    try:
        async with conn.transaction():  # savepoint: a refused gift rolls back only itself
            coupon = await issue_coupon(tx, gift, user, source="fission", now=at, check_credit=False)
    except Refusal:  # issue_coupon's refusals (sold out, limit reached, ...)
        return None
    await fission_db.set_friend_coupon(conn, group_id, user, coupon["id"])
    return str(coupon["id"])


@routes.get("/fission/groups/{group_id}")
async def get_group(request: web.Request) -> web.Response:
    user = user_id(request)
    pool = db(request).pool
    group = await fission_db.get_group(pool, path_id(request, "group_id"))
    if group is None:
        raise NotFound("No such share group", code="group_not_found")
    return json_response(group_view(group, viewer=user,
                                    joined_by_viewer=await fission_db.joined_by(pool, group["id"], user)))
