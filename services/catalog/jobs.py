"""Catalog's periodic work: close flash sales that are over (their unsold units back on ordinary sale)."""

from __future__ import annotations

from services.catalog.deps import CatalogDeps
from services.catalog.flows import flash
from shared.service import Job


async def close_ended_flash_sales(deps: CatalogDeps) -> None:
    while True:
        async with deps.db.transaction() as tx:
            if await flash.close_ended(tx, deps.clock.now()) < flash.CLOSE_BATCH:
                return


JOBS = [Job[CatalogDeps](close_ended_flash_sales, every=lambda deps: deps.settings.flash_close_every_seconds)]
