"""What marketing's handlers, jobs and routes are given: the shared Deps with marketing's settings, plus the
Alipay client (member cards in the buyer's card package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from services.marketing.settings import MarketingSettings
from shared.alipay import AlipayClient
from shared.service import DEPS, Deps, with_clients


@dataclass(frozen=True)
class MarketingDeps(Deps[MarketingSettings]):
    alipay: AlipayClient


def build_deps(base: Deps[Any]) -> MarketingDeps:
    settings = cast(MarketingSettings, base.settings)
    return with_clients(base, MarketingDeps, alipay=settings.alipay_client(base.http))


def deps_of(app: web.Application) -> MarketingDeps:
    return cast(MarketingDeps, app[DEPS])
