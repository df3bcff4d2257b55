"""What every route needs: the app's resources, typed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aiohttp import web

from services.marketing.deps import deps_of
from services.marketing.settings import MarketingSettings
from shared.db import Database
from shared.http import (
    Forbidden,
    StrictModel,
    Unauthorized,
    Work,
    current_merchant,
    current_user,
    fingerprint,
    idempotency_key,
    json_response,
    run_idempotent,
    storable,
)
from shared.http import path_id as shared_path_id
from shared.service import DB


def db(request: web.Request) -> Database:
    return request.app[DB]


def now(request: web.Request) -> datetime:
    return deps_of(request.app).clock.now()


def settings(request: web.Request) -> MarketingSettings:
    return deps_of(request.app).settings


# Request models: strict; text PostgreSQL can't store is refused by shared.http.parse, never a 500.
Model = StrictModel


def user_id(request: web.Request) -> str:
    user = current_user(request)
    if len(user) > 128 or not storable(user):
        raise Unauthorized("Malformed user id", code="unauthorized")
    return user


def alipay_user_id(request: web.Request) -> str | None:
    """The caller's Alipay user id (2088…) as the gateway forwards it from the session, if it has one."""
    found = request.headers.get("X-Alipay-User-Id", "")
    return found if re.fullmatch(r"2088[0-9]{12}", found) else None


def merchant_id(request: web.Request) -> str:
    merchant = current_merchant(request)
    if len(merchant) > 64 or not storable(merchant):
        raise Forbidden("Malformed merchant id", code="merchant_only")
    return merchant


def path_id(request: web.Request, name: str) -> str:
    return shared_path_id(request, name, detail=None)


async def maybe_idempotent(request: web.Request, scope: str, body: Any, work: Work) -> web.Response:
    """A write that honours an Idempotency-Key when the caller sends one, and simply runs once otherwise."""
    key = idempotency_key(request, required=False)
    if key is None:
        async with db(request).transaction() as tx:
            status, answer = await work(tx)
    else:
        status, answer = await run_idempotent(db(request), scope=scope, key=key, work=work,
                                              fingerprint_=fingerprint(request.method, request.path, body))
    return json_response(answer, status=status)
