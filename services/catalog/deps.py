"""What catalog's handlers and flows are given: the shared Deps with catalog's settings, and the process's
flash-sale admitter (its batches are per process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from services.catalog.admitter import FlashAdmitter
from services.catalog.settings import CatalogSettings
from shared.service import DEPS, Deps, with_clients


@dataclass(frozen=True)
class CatalogDeps(Deps[CatalogSettings]):
    admitter: FlashAdmitter


def build_deps(base: Deps[Any]) -> CatalogDeps:
    settings = cast(CatalogSettings, base.settings)
    return with_clients(base, CatalogDeps,
                        admitter=FlashAdmitter(base.db, base.clock, settings.flash_admission_batch))


def deps_of(app: web.Application) -> CatalogDeps:
    return cast(CatalogDeps, app[DEPS])
