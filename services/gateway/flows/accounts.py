"""Staff and operator accounts: owners invite staff with a one-time set-password link, change their roles and
deactivate them; whoever holds a link sets the account's password once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg

from services.gateway import store
from services.gateway.auth import hash_password
from services.gateway.domain.permissions import Role
from shared.db import Database, Tx
from shared.refusal import Refusal

AccountKind = Literal["staff", "operator"]


@dataclass(frozen=True)
class PasswordLink:
    token: str  # shown once, to whoever creates the account; only its hash is stored
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(b"mpmall-password-link:" + token.encode()).hexdigest()


async def new_password_link(tx: Tx, kind: AccountKind, username: str, now: datetime,
                            ttl_seconds: int) -> PasswordLink:
    """A one-time link for the account; any older unused link of it stops working."""
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ttl_seconds)
    await store.save_password_link(tx, _hash(token), kind, username, expires_at)
    return PasswordLink(token, expires_at)


async def create_staff_account(tx: Tx, merchant_id: str, username: str, display_name: str, role: Role,
                               now: datetime, ttl_seconds: int) -> tuple[asyncpg.Record, PasswordLink]:
    if await store.username_taken(tx, username):
        raise Refusal("username_taken", f"The username {username!r} is taken", field="username")
    row = await store.create_staff(tx, username, merchant_id, display_name, role.value)
    return row, await new_password_link(tx, "staff", username, now, ttl_seconds)


async def owned_staff(tx: Tx, merchant_id: str, username: str) -> asyncpg.Record:
    """The merchant's own staff account, locked; another merchant's is as unknown as a missing one (404)."""
    row = await store.staff_account(tx, username, for_update=True)
    if row is None or row["merchant_id"] != merchant_id:
        raise Refusal("staff_not_found", "No such staff account", 404)
    return row


async def change_staff(db: Database, merchant_id: str, username: str, role: Role | None,
                       active: bool | None) -> asyncpg.Record:
    """A new role or active flag, effective on the account's next request. The last active owner can be
    neither demoted nor deactivated (nobody could run the shop's staff any more)."""
    async with db.transaction() as tx:
        before = await owned_staff(tx, merchant_id, username)
        after = await store.change_staff(tx, username, role.value if role else None, active)
        lost_owner = before["role"] == "owner" and before["active"] and (after["role"] != "owner"
                                                                         or not after["active"])
        if lost_owner and await store.active_owners(tx, merchant_id) == 0:
            raise Refusal("last_owner", "The shop's last active owner cannot be demoted or deactivated")
        return after


async def reissue_link(db: Database, merchant_id: str, username: str, now: datetime,
                       ttl_seconds: int) -> PasswordLink:
    """A new set-password link for one of the merchant's staff (a lost invitation, a forgotten password)."""
    async with db.transaction() as tx:
        await owned_staff(tx, merchant_id, username)
        return await new_password_link(tx, "staff", username, now, ttl_seconds)


async def set_password(db: Database, token: str, password: str) -> tuple[str, str]:
    """(kind, username) whose password the link set; the link is spent. Unknown, used or expired: 410."""
    password_hash = hash_password(password)
    async with db.transaction() as tx:
        link = await store.spend_password_link(tx, _hash(token))
        if link is None or not await store.set_password(tx, link["kind"], link["username"], password_hash):
            raise Refusal("link_invalid", "This link is unknown, was already used or has expired", 410)
        return link["kind"], link["username"]


async def operator_link(db: Database, username: str, now: datetime, ttl_seconds: int) -> tuple[bool, PasswordLink]:
    """(created, link): a platform operator account (new, or existing: its password is then reset through the
    link). Operators exist only through this, run by `python -m deploy.admin create-operator`."""
    async with db.transaction() as tx:
        created = await store.create_operator(tx, username)
        return created, await new_password_link(tx, "operator", username, now, ttl_seconds)
