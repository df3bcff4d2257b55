"""The platform's decisions: merchant applications (apply, approve, reject) and suspensions. Each state change
and its event are written in one transaction (the outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.gateway import store
from services.gateway.domain.onboarding import require_pending, require_valid_licence
from services.gateway.domain.permissions import Role
from services.gateway.flows.accounts import PasswordLink, create_staff_account
from shared.db import Database, Tx
from shared.events.gateway import MerchantApproved, MerchantReinstated, MerchantSuspended
from shared.refusal import Refusal


async def apply(db: Database, merchant_name: str, licence_no: str, contact_name: str, contact_phone: str,
                contact_email: str, owner_username: str) -> asyncpg.Record:
    licence = require_valid_licence(licence_no)
    async with db.transaction() as tx:
        if await store.username_taken(tx, owner_username):
            raise Refusal("username_taken", f"The username {owner_username!r} is taken", field="owner_username")
        row = await store.insert_application(tx, f"app_{uuid.uuid4().hex[:16]}", merchant_name, licence,
                                             contact_name, contact_phone, contact_email, owner_username)
        if row is None:
            raise Refusal("application_exists", "This licence already has a pending or approved application")
        return row


async def approve(db: Database, application_id: str, operator: str, now: datetime,
                  ttl_seconds: int) -> tuple[asyncpg.Record, PasswordLink]:
    """The merchant (catalog creates it from `merchant.approved`) and its first owner, with a one-time link."""
    async with db.transaction() as tx:
        application = await _pending(tx, application_id)
        merchant_id = f"mch_{uuid.uuid4().hex[:16]}"
        _, link = await create_staff_account(tx, merchant_id, application["owner_username"],
                                             application["contact_name"], Role.OWNER, now, ttl_seconds)
        decided = await store.decide_application(tx, application_id, "approved", operator, "", merchant_id)
        await tx.emit(MerchantApproved(merchant_id=merchant_id, name=application["merchant_name"],
                                       licence_no=application["licence_no"]))
        return decided, link


async def reject(db: Database, application_id: str, operator: str, reason: str) -> asyncpg.Record:
    async with db.transaction() as tx:
        await _pending(tx, application_id)
        return await store.decide_application(tx, application_id, "rejected", operator, reason, None)


async def _pending(tx: Tx, application_id: str) -> asyncpg.Record:
    application = await store.lock_application(tx, application_id)
    if application is None:
        raise Refusal("application_not_found", "No such application", 404)
    require_pending(application["status"])
    return application


async def suspend(db: Database, merchant_id: str, operator: str, reason: str) -> None:
    """From the next request the merchant's staff are refused and its products leave the buyers' view."""
    async with db.transaction() as tx:
        if not await store.suspend_merchant(tx, merchant_id, reason, operator):
            raise Refusal("already_suspended", "This merchant is already suspended")
        await tx.emit(MerchantSuspended(merchant_id=merchant_id, reason=reason))


async def reinstate(db: Database, merchant_id: str) -> None:
    async with db.transaction() as tx:
        if not await store.reinstate_merchant(tx, merchant_id):
            raise Refusal("not_suspended", "This merchant is not suspended")
        await tx.emit(MerchantReinstated(merchant_id=merchant_id))
