"""What the gateway's api code and jobs are given: the shared Deps plus its own clients and state, the same
way as every service (`deps_of(app)` in api code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from zoneinfo import ZoneInfo

from aiohttp import web

from services.gateway.auth import Keyring
from services.gateway.ratelimit import RateLimiter
from services.gateway.sessions import LiveSessions, keyring
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstream
from shared.alipay import AlipayClient
from shared.objects import ObjectStore
from shared.service import DEPS, Deps, with_clients

Visit = tuple[str, date, str, "str | None"]  # user, the shop's day, entry point, merchant


@dataclass(frozen=True)
class GatewayDeps(Deps[GatewaySettings]):
    upstream: Upstream  # the services behind the gateway, on a session of its own (closed by the app)
    alipay: AlipayClient  # logins (auth codes), on the upstream session
    limiter: RateLimiter
    keyring: Keyring  # the keys tokens are signed and checked with
    sessions: LiveSessions  # user sessions read live lately (dropped when a revocation is announced)
    business_zone: ZoneInfo  # the shop's day, as analytics counts it
    visits: set[Visit]  # process-local memo of the user.active events already written
    objects: ObjectStore  # uploaded images (closed by the app)


def build_deps(base: Deps[Any]) -> GatewayDeps:
    settings = cast(GatewaySettings, base.settings)
    upstream = Upstream(settings.base_urls(), settings.upstream_timeout_seconds,
                        internal_token=settings.internal_token)
    upstream.open()
    assert upstream.session is not None
    return with_clients(base, GatewayDeps, upstream=upstream, alipay=settings.alipay_client(upstream.session),
                        limiter=RateLimiter(base.db, settings), keyring=keyring(settings),
                        sessions=LiveSessions(base.changes, settings.session_memo_seconds),
                        business_zone=ZoneInfo(settings.timezone), visits=set(),
                        objects=settings.objects())


def deps_of(app: web.Application) -> GatewayDeps:
    return cast(GatewayDeps, app[DEPS])
