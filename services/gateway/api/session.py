"""Sessions: mini-program login through Alipay, refresh, the user's own page; merchant staff login."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from services.gateway import store
from services.gateway.auth import DUMMY_HASH, Identity, check_password, issue_token, new_session_id
from services.gateway.models import (
    CardOut,
    ClientConfigOut,
    Items,
    LoginBody,
    MeOut,
    PointsOut,
    RefreshBody,
    SessionOut,
    StaffLoginBody,
    StaffSessionOut,
)
from services.gateway.routes import Call, Operation, merchant_in_path
from services.gateway.sessions import end_session, open_user_session, rotate_refresh_token
from services.gateway.upstream import path
from shared.alipay import AlipayClient, AlipayError, AlipayResponseError
from shared.events.gateway import AlipayUserLinked
from shared.http import Forbidden, Problem, Unauthorized, json_response
from shared.logging import get_logger

log = get_logger("gateway")
# Answers that carry tokens must never be stored by a browser, WebView or proxy cache.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class LoginFailed(Problem):
    status, code, title = 401, "auth_code_invalid", "Login failed"


def credit_tier(score: int | None) -> str | None:
    """Sesame tiers (notes §5.1): [350,550) poor, [550,600) fair, [600,650) good, [650,700) very good."""
    if score is None:
        return None
    if score < 550:
        return "poor"
    if score < 600:
        return "fair"
    if score < 650:
        return "good"
    if score < 700:
        return "very_good"
    return "excellent"


async def _alipay_identity(call: Call, auth_code: str) -> tuple[str, str | None, str | None, int | None]:
    """(open_id, 2088 user_id, nickname, Sesame score) for an auth code; the profile parts are optional."""
    alipay: AlipayClient = call.deps.alipay
    try:
        grant = await alipay.oauth_token(auth_code)
    except AlipayError as exc:
        raise LoginFailed("Alipay refused the auth code", detail_code=exc.sub_code or exc.code) from exc
    except AlipayResponseError as exc:
        log.warning("alipay unavailable at login", error=str(exc))
        raise Problem("Alipay cannot be reached", status=503, code="service_unavailable",
                      title="Service unavailable") from exc

    async def nickname() -> str | None:
        try:
            return (await alipay.user_info(grant.access_token)).nick_name
        except (AlipayError, AlipayResponseError):
            return None

    async def score() -> int | None:
        try:
            return await alipay.credit_score(grant.access_token, uuid.uuid4().hex)
        except (AlipayError, AlipayResponseError, KeyError, ValueError):
            return None

    nick, sesame = await asyncio.gather(nickname(), score())
    return grant.open_id or grant.user_id, grant.user_id or None, nick, sesame


async def _session_answer(call: Call, user: Any, session_id: str | None = None) -> web.Response:
    settings = call.settings
    if user["alipay_user_id"]:  # payments links a payer at a store's counter to this buyer
        async with call.db.transaction() as tx:
            await tx.emit(AlipayUserLinked(user_id=user["id"], alipay_user_id=user["alipay_user_id"]))
    identity = Identity(kind="user", subject=user["id"], alipay_user_id=user["alipay_user_id"],
                        credit_score=user["credit_score"])
    tokens = await open_user_session(call.db, call.deps.keyring, settings, identity, session_id)
    return json_response({"token": tokens.access, "refresh_token": tokens.refresh,
                          "expires_in": settings.token_ttl_seconds,
                          "user": {"id": user["id"], "nickname": user["nickname"]}}, headers=NO_STORE)


async def login(call: Call) -> web.StreamResponse:
    body: LoginBody = call.body
    open_id, alipay_user_id, nick, score = await _alipay_identity(call, body.auth_code)
    user = await store.upsert_user(call.db, app_id=call.settings.alipay_app_id, open_id=open_id,
                                   alipay_user_id=alipay_user_id, nickname=nick or body.nickname or "",
                                   credit_score=score)
    return await _session_answer(call, user)


async def refresh_session(call: Call) -> web.StreamResponse:
    """Rotation: the refresh token is spent and a new one of the same session given; a spent one presented
    again revokes the session (see sessions.rotate_refresh_token)."""
    body: RefreshBody = call.body
    user_id, session_id = await rotate_refresh_token(call.db, call.deps.sessions, call.settings, body.refresh_token)
    user = await store.find_user(call.db, user_id)
    if user is None:
        raise Unauthorized("Unknown user", code="invalid_refresh_token")
    return await _session_answer(call, user, session_id)


async def logout(call: Call) -> web.StreamResponse:
    """The session ends: its access tokens are refused from the next request and its refresh tokens die."""
    assert call.identity is not None
    await end_session(call.db, call.deps.sessions, call.settings, call.identity)
    return web.Response(status=204, headers=NO_STORE)


async def _optional(coro: Any) -> Any:
    """One part of a composed answer; a part whose service is down is left out rather than failing all."""
    try:
        return await coro
    except Problem as exc:
        log.info("part of a composition missing", code=exc.code, status=exc.status)
        return None


async def me(call: Call) -> web.StreamResponse:
    user = await store.find_user(call.db, call.user_id)
    if user is None:
        raise Unauthorized("Unknown user", code="invalid_token")
    points, cards, balance = await asyncio.gather(
        _optional(call.up.json(call.request, "marketing", "GET", "/me/points")),
        _optional(call.up.json(call.request, "marketing", "GET", "/me/cards")),
        _optional(call.up.json(call.request, "payments", "GET", "/me/balance")))
    points = points if isinstance(points, dict) else {}
    balance = balance if isinstance(balance, dict) else {}
    # Levels are per merchant (member cards); the user's page shows the highest one.
    levels = [c.get("level") or 0 for c in cards.get("items", [])] if isinstance(cards, dict) else None
    return json_response({
        "user": {"id": user["id"], "nickname": user["nickname"]},
        "level": max(levels, default=0) if levels is not None else None, "points": points.get("balance"),
        "balance_fen": balance.get("balance_fen"), "credit_tier": credit_tier(user["credit_score"])})


async def my_points(call: Call) -> web.StreamResponse:
    return json_response(await call.up.json(call.request, "marketing", "GET", "/me/points"))


async def _with_balance(call: Call, card: dict[str, Any], balance: Any) -> dict[str, Any]:
    if isinstance(balance, dict) and card.get("balance_fen") is None:
        card["balance_fen"] = balance.get("balance_fen")
    return await _with_member_prices(call, card)


async def _with_member_prices(call: Call, card: dict[str, Any]) -> dict[str, Any]:
    """What the card's level gives: the merchant's member prices up to that level (orders prices with them)."""
    level, merchant_id = card.get("level"), card.get("merchant_id")
    found = await _optional(call.up.json(call.request, "orders", "GET", "/member-prices",
                                         query={"merchant_id": merchant_id, "level": level})) \
        if isinstance(level, int) and isinstance(merchant_id, str) else None
    card["member_prices"] = found.get("items", []) if isinstance(found, dict) else []
    return card


async def open_card(call: Call) -> web.StreamResponse:
    target = path("/merchants/{id}/card", id=call.param("id"))
    card, balance = await asyncio.gather(
        call.up.json(call.request, "marketing", "POST", target),
        _optional(call.up.json(call.request, "payments", "GET", "/me/balance")))
    return json_response(await _with_balance(call, card, balance))


async def my_cards(call: Call) -> web.StreamResponse:
    cards, balance = await asyncio.gather(
        call.up.json(call.request, "marketing", "GET", "/me/cards"),
        _optional(call.up.json(call.request, "payments", "GET", "/me/balance")))
    items = cards.get("items", []) if isinstance(cards, dict) else []
    return json_response({"items": [await _with_balance(call, c, balance) for c in items]})


async def staff_login(call: Call) -> web.StreamResponse:
    body: StaffLoginBody = call.body
    staff = await store.find_staff(call.db, body.username)
    stored = staff["password_hash"] if staff else DUMMY_HASH
    ok = await asyncio.to_thread(check_password, body.password, stored)  # scrypt is deliberately slow
    if staff is None or not ok:
        raise Unauthorized("Wrong username or password", code="invalid_credentials")
    if await store.merchant_suspended(call.db, staff["merchant_id"]):
        raise Forbidden("The platform has suspended this merchant", code="merchant_suspended")
    identity = Identity(kind="staff", subject=staff["username"], merchant_id=staff["merchant_id"],
                        session_id=new_session_id())
    ttl = call.settings.staff_token_ttl_seconds
    return json_response({"token": issue_token(call.deps.keyring, identity, ttl),
                          "merchant_id": staff["merchant_id"], "role": staff["role"], "expires_in": ttl},
                         headers=NO_STORE)


async def staff_logout(call: Call) -> web.StreamResponse:
    return await logout(call)


async def client_config(call: Call) -> web.StreamResponse:
    """What the mini-program's H5 build cannot know at build time: where Alipay's web pages are (the sandbox's
    authorisation page and cashier in local runs; null where there are none)."""
    return json_response({"alipay_web_url": call.settings.alipay_web_url or None})


OPERATIONS = [
    Operation("POST", "/api/session", login, "Log in with an Alipay auth code", "session", auth="none",
              body=LoginBody, answer=SessionOut),
    Operation("GET", "/api/client-config", client_config, "Settings the H5 build reads at start", "session",
              auth="none", answer=ClientConfigOut),
    Operation("POST", "/api/session/refresh", refresh_session, "A new token for a refresh token (rotated)",
              "session", auth="none", body=RefreshBody, answer=SessionOut),
    Operation("DELETE", "/api/session", logout, "Log out: this session's access and refresh tokens stop working",
              "session", status=204),
    Operation("GET", "/api/me", me, "The user, level, points, balance and credit tier", "session", answer=MeOut),
    Operation("GET", "/api/me/points", my_points, "Points balance and ledger", "coupons", answer=PointsOut),
    Operation("POST", "/api/merchants/{id}/card", open_card, "Open (or get) a merchant's member card",
              "coupons", answer=CardOut, visit_merchant=merchant_in_path("id")),
    Operation("GET", "/api/me/cards", my_cards, "The user's member cards", "coupons", answer=Items),
    Operation("POST", "/api/merchant/session", staff_login, "Merchant staff login", "merchant", auth="none",
              body=StaffLoginBody, answer=StaffSessionOut),
    Operation("DELETE", "/api/merchant/session", staff_logout, "Merchant staff log out", "merchant", auth="staff",
              status=204),
]
