"""Catalog's periodic work: close flash sales that are over (their unsold units back on ordinary sale), and
release flash-sale admissions no order took in time (their units back on the sale)."""

from __future__ import annotations

from datetime import timedelta

from services.catalog.deps import CatalogDeps
from services.catalog.flows import flash
from shared.service import Job


async def close_ended_flash_sales(deps: CatalogDeps) -> None:
    while True:
        async with deps.db.transaction() as tx:
            if await flash.close_ended(tx, deps.clock.now()) < flash.CLOSE_BATCH:
                return


async def release_unclaimed_admissions(deps: CatalogDeps) -> None:
    before = deps.clock.now() - timedelta(seconds=deps.settings.flash_admission_hold_seconds)
    while True:
        async with deps.db.transaction() as tx:
            if await flash.release_unclaimed(tx, before) < flash.RELEASE_BATCH:
                return


JOBS = [Job[CatalogDeps](close_ended_flash_sales, every=lambda deps: deps.settings.flash_close_every_seconds),
        Job[CatalogDeps](release_unclaimed_admissions, every=lambda deps: deps.settings.flash_close_every_seconds)]
