"""What every route needs: the app's resources, typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from services.marketing.settings import MarketingSettings
from shared.clock import Clock
from shared.db import Database
from shared.http import NotFound, Work, fingerprint, idempotency_key, json_response, run_idempotent
from shared.service import DB, SETTINGS

CLOCK = web.AppKey("clock", Clock)


def db(request: web.Request) -> Database:
    return request.app[DB]


def now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


def settings(request: web.Request) -> MarketingSettings:
    value = request.app[SETTINGS]
    assert isinstance(value, MarketingSettings)
    return value


def path_id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not (1 <= len(value) <= 64):
        raise NotFound()
    return value


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
