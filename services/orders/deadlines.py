"""Deadlines kept in the database: unpaid orders are cancelled at pay-by, shipped orders complete after the
auto-confirm period. Due rows are claimed with FOR UPDATE SKIP LOCKED, so any number of replicas can run
the job and each deadline is acted on once; a deadline that no longer applies (the order moved on) is
simply dropped."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import cast

import asyncpg
from aiohttp import web

from services.orders import flows, store
from services.orders.domain import Status
from services.orders.settings import OrdersSettings
from shared.clock import Clock
from shared.db import Database, Tx
from shared.logging import get_logger
from shared.service import DB, SETTINGS

CLOCK = web.AppKey("clock", Clock)
log = get_logger("orders").bind(component="deadlines")


async def run_due_deadlines(db: Database, clock: Clock, limit: int = 100) -> int:
    """One pass: act on up to `limit` due deadlines in one transaction; returns how many were acted on."""
    acted = 0
    async with db.transaction() as tx:
        now = clock.now()
        for due in await store.claim_due_deadlines(tx.conn, now, limit):
            order = await store.lock_order_if_free(tx.conn, due["order_id"])
            if order is None:
                continue  # busy: the deadline stays and is seen again on the next pass
            acted += await _act(tx, order, due["kind"], now)
            await store.drop_deadlines(tx.conn, order["id"], due["kind"])
    return acted


async def _act(tx: Tx, order: asyncpg.Record, kind: str, now: datetime) -> int:
    if kind == "pay_by" and order["status"] in (Status.PENDING, Status.AWAITING_PAYMENT):
        await flows.cancel(tx, order, "payment_timeout", now)
        return 1
    if kind == "auto_confirm" and order["status"] == Status.SHIPPED:
        await flows.complete(tx, order, now)
        return 1
    return 0


async def deadline_job(app: web.Application) -> None:
    """The background loop of `run_due_deadlines`; errors are logged and the loop goes on."""
    settings = cast(OrdersSettings, app[SETTINGS])
    poll, batch = settings.deadline_poll_seconds, settings.deadline_batch
    while True:
        try:
            acted = await run_due_deadlines(app[DB], app[CLOCK], batch)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - database away: try again on the next round
            log.exception("deadline pass failed")
            acted = 0
        if acted < batch:
            await asyncio.sleep(poll)
