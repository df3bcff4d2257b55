"""What catalog's handlers and flows are given: the shared Deps with catalog's settings."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from services.catalog.settings import CatalogSettings
from shared.service import DEPS, Deps

CatalogDeps = Deps[CatalogSettings]


def deps_of(app: web.Application) -> CatalogDeps:
    return cast(CatalogDeps, app[DEPS])
