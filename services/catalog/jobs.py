"""Catalog's periodic work: close flash sales that are over (their unsold units back on ordinary sale),
release flash-sale admissions no order took in time (their units back on the sale), and at start record the
search words of products saved before search_words knew them."""

from __future__ import annotations

from datetime import timedelta

from services.catalog.deps import CatalogDeps
from services.catalog.flows import catalogue, flash
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


async def record_search_words(deps: CatalogDeps) -> None:
    """Batch after batch until none is left: at start it catches up after migration 0014_search_words_backfill
    (or a raised WORDS_VERSION); later rounds find nothing, from an index that holds only what is left."""
    while True:
        async with deps.db.transaction() as tx:
            if await catalogue.record_search_words(tx) < catalogue.WORDS_BATCH:
                return


JOBS = [Job[CatalogDeps](close_ended_flash_sales, every=lambda deps: deps.settings.flash_close_every_seconds),
        Job[CatalogDeps](release_unclaimed_admissions, every=lambda deps: deps.settings.flash_close_every_seconds),
        Job[CatalogDeps](record_search_words, every=lambda deps: 3600.0, at_start=True)]
