"""Who is calling: the internal token only the gateway sends, and the user or merchant it vouches for."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from shared.http.problems import Forbidden, Unauthorized

INTERNAL_TOKEN = "X-Internal-Token"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapers carry no token


def internal_only_middleware(token: str) -> Callable[..., Any]:
    """Refuse every caller but the gateway (which sends the shared token), except on probe paths."""
    expected = token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        given = request.headers.get(INTERNAL_TOKEN, "").encode()
        if request.path not in OPEN_PATHS and not hmac.compare_digest(given, expected):
            raise Unauthorized("Internal API: only the gateway may call it", code="internal_only")
        return await handler(request)

    return middleware


USER_HEADER = "X-User-Id"
MERCHANT_HEADER = "X-Merchant-Id"
SCORE_HEADER = "X-User-Credit-Score"


def current_user(request: web.Request) -> str:
    """The authenticated user the gateway vouches for; every user-scoped query filters by it."""
    user = request.headers.get(USER_HEADER)
    if not user:
        raise Unauthorized("No authenticated user")
    return user


def current_merchant(request: web.Request) -> str:
    """The merchant a staff token is scoped to; merchant APIs only ever touch this merchant's data."""
    merchant = request.headers.get(MERCHANT_HEADER)
    if not merchant:
        raise Forbidden("A merchant staff token is required", code="merchant_only")
    return merchant


def credit_score(request: web.Request) -> int | None:
    """The user's Sesame score as the gateway learnt it from Alipay at login (None when unknown)."""
    raw = request.headers.get(SCORE_HEADER)
    return int(raw) if raw and raw.isdigit() else None
