"""Session lifecycle (flows): a login opens a session (`sid`), refreshes rotate its refresh token, logout or
the reuse of a spent refresh token revokes it, and every authenticated request checks it is still live.

Revocation is a deny-list keyed by `sid` (plus the staff account's `active` flag). Staff and operator
requests read it every time (one indexed round trip), so a deactivation takes effect on the next request,
whichever gateway replica serves it. A buyer's session read live is memoised for `session_memo_seconds`
(LiveSessions): a logout takes effect at once on the replica that served it and on the others when
PostgreSQL's announcement arrives, at the latest after those seconds. Tokens are short-lived, so a
deny-list row is kept only until every token of its session has expired.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from aiohttp import web

from services.gateway import store
from services.gateway.auth import (
    LEEWAY_SECONDS,
    Identity,
    Keyring,
    hash_refresh_token,
    issue_token,
    new_refresh_token,
    new_session_id,
    with_session,
)
from services.gateway.domain.permissions import Role, parse_role
from services.gateway.settings import GatewaySettings
from shared.changes import Changes
from shared.db import Database
from shared.http import Forbidden, Unauthorized
from shared.logging import get_logger

KEYRING = web.AppKey("keyring", Keyring)
log = get_logger("gateway")


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str


def keyring(settings: GatewaySettings) -> Keyring:
    return Keyring(settings.token_secret, settings.token_secret_previous)


def _forget_after(settings: GatewaySettings) -> datetime:
    """When no token of a session revoked now can still be unexpired."""
    longest = max(settings.token_ttl_seconds, settings.staff_token_ttl_seconds) + LEEWAY_SECONDS
    return datetime.now(UTC) + timedelta(seconds=longest)


class LiveSessions:
    """The user sessions this replica has read as live lately, so that a user's next calls within
    `session_memo_seconds` need no database round trip (0: every call reads, as staff and operators always do:
    their role, account and merchant can change without a revocation).

    A revocation drops its session here at once on the replica that made it; the others hear of it from
    PostgreSQL, which announces it at the commit (migration 0006: a trigger NOTIFYs `revoked:<sid>` on the
    gateway's changes channel), normally before the logout's answer has reached the client. The memo is used
    only while the LISTEN connection is up (emptied whenever listening stops or starts again), and no entry
    for longer than `session_memo_seconds`: the most a replica that missed an announcement can lag.

    When a session is not (or no longer) in the memo, the calls of that session that arrive while it is being
    read wait for that one read (`read`): a client's parallel calls, each reading at the memo's lapse,
    were most of the gateway's database reads under load. A revocation heard meanwhile sends later calls to a
    read of their own."""

    MEMO_SIZE = 100_000

    def __init__(self, changes: Changes, memo_seconds: float):
        self.changes = changes
        self.memo_seconds = memo_seconds
        self._until: dict[str, float] = {}  # sid -> time.monotonic() until which it is taken as live
        self._reading: dict[str, asyncio.Task[asyncpg.Record]] = {}  # sid -> its read in progress
        self.epoch = 0  # moves with every revocation heard and every restart of listening
        if memo_seconds > 0:
            changes.watch(self)

    def known_live(self, sid: str) -> bool:
        return self.changes.listening and self._until.get(sid, 0.0) > time.monotonic()

    def remember(self, sid: str, read_at_epoch: int) -> None:
        """`sid` was read live when the epoch was `read_at_epoch`: kept unless something was heard since (the
        read may predate a revocation announced meanwhile)."""
        if self.memo_seconds > 0 and self.changes.listening and read_at_epoch == self.epoch:
            if len(self._until) >= self.MEMO_SIZE:
                self._until.clear()
            self._until[sid] = time.monotonic() + self.memo_seconds

    async def read(self, sid: str, standing: Callable[[], Awaitable[asyncpg.Record]]) -> asyncpg.Record:
        """The session's standing by `standing()`, read once for every call of it that asks while the read is
        in progress; remembered when live (see `remember`). A call that is cancelled (its client left) does
        not cancel the read for the others."""
        task = self._reading.get(sid)
        if task is None:
            task = self._reading[sid] = asyncio.ensure_future(self._read(sid, standing))
            task.add_done_callback(lambda done: self._read_done(sid, done))
        return await asyncio.shield(task)

    async def _read(self, sid: str, standing: Callable[[], Awaitable[asyncpg.Record]]) -> asyncpg.Record:
        epoch = self.epoch
        row = await standing()
        if row["live"]:
            self.remember(sid, epoch)
        return row

    def _read_done(self, sid: str, task: asyncio.Task[asyncpg.Record]) -> None:
        if self._reading.get(sid) is task:
            del self._reading[sid]
        if not task.cancelled():
            task.exception()  # retrieved: each call waiting on it has raised it already

    def drop(self, sid: str) -> None:
        self.epoch += 1
        self._until.pop(sid, None)
        self._reading.pop(sid, None)  # a read begun before the revocation answers no later call

    def announced(self, key: str) -> None:
        if key.startswith(REVOKED):
            self.drop(key.removeprefix(REVOKED))

    def restarted(self) -> None:
        self.epoch += 1
        self._until.clear()


REVOKED = "revoked:"


async def ensure_live(db: Database, sessions: LiveSessions, identity: Identity) -> Role | None:
    """The caller's session is live (and a staff's merchant not suspended); a staff member's role as it is now,
    so a role change or deactivation takes effect on the next request."""
    assert identity.session_id is not None  # read_token requires `sid`
    user = identity.kind == "user"
    sid = identity.session_id
    if user and sessions.memo_seconds > 0:
        if sessions.known_live(sid):
            return None
        standing = await sessions.read(sid, lambda: store.caller_standing(db, sid, None, identity.merchant_id, None))
    else:  # staff and operators: read for this very call (see LiveSessions)
        staff = identity.subject if identity.kind == "staff" else None
        operator = identity.subject if identity.kind == "operator" else None
        standing = await store.caller_standing(db, sid, staff, identity.merchant_id, operator)
    if not standing["live"]:
        raise Unauthorized("This session has ended; log in again", code="session_revoked")
    if standing["suspended"]:
        raise Forbidden("The platform has suspended this merchant", code="merchant_suspended")
    return parse_role(standing["role"]) if identity.kind == "staff" else None


async def open_user_session(db: Database, ring: Keyring, settings: GatewaySettings, identity: Identity,
                            session_id: str | None = None) -> Tokens:
    """An access token and a new refresh token of the session `session_id` (a new session when None)."""
    sid = session_id or new_session_id()
    refresh, refresh_hash = new_refresh_token()
    await store.save_refresh_token(db, refresh_hash, identity.subject, sid,
                                   datetime.now(UTC) + timedelta(seconds=settings.refresh_ttl_seconds))
    access = issue_token(ring, with_session(identity, sid), settings.token_ttl_seconds)
    return Tokens(access, refresh)


async def rotate_refresh_token(db: Database, sessions: LiveSessions, settings: GatewaySettings, refresh_token: str
                               ) -> tuple[str, str]:
    """(user id, session id) of a live refresh token, which is spent by this call. A token that was already
    spent (stolen and used by someone else, or replayed) revokes its whole session: every refresh token of
    the family and the access tokens bound to it."""
    token_hash = hash_refresh_token(refresh_token)
    reused_family = None
    async with db.transaction() as tx:
        row = await store.lock_refresh_token(tx, token_hash)
        if row is not None and row["revoked_at"] is not None:
            reused_family = row["family_id"]
            await store.revoke_session(tx, reused_family, "refresh_reuse", _forget_after(settings))
        elif row is not None and row["live"]:
            await store.spend_refresh_token(tx, token_hash)
            return row["user_id"], row["family_id"]
    if reused_family is not None:
        sessions.drop(reused_family)
        log.warning("spent refresh token presented again; session revoked", sid=reused_family)
    raise Unauthorized("The refresh token is invalid, used or expired", code="invalid_refresh_token")


async def end_session(db: Database, sessions: LiveSessions, settings: GatewaySettings, identity: Identity) -> None:
    assert identity.session_id is not None
    async with db.transaction() as tx:
        await store.revoke_session(tx, identity.session_id, "logout", _forget_after(settings))
    sessions.drop(identity.session_id)
