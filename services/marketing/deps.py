"""What marketing's handlers, jobs and routes are given: the shared Deps with marketing's settings."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from services.marketing.settings import MarketingSettings
from shared.service import DEPS, Deps

MarketingDeps = Deps[MarketingSettings]


def deps_of(app: web.Application) -> MarketingDeps:
    return cast(MarketingDeps, app[DEPS])
