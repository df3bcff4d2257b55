"""Rate limits per client IP and per authenticated subject: fixed windows, shared by every gateway replica
through PostgreSQL without a write per request. Past the limit: 429 with `Retry-After` (seconds to the next
window).

Each replica counts its hits in memory and, every `rate_sync_seconds` while it takes requests, adds them to
the window's rows in PostgreSQL in one statement that answers every replica's total; a request is judged by
that total plus the hits counted here since. One replica alone is therefore exact; with several, what the
others admitted reaches this one within about two sync intervals (theirs, then its own), so a bucket admits
at most the limit plus what the other replicas take of it in that time. The same sync reads the addresses
locked out (below), so a lock-out set by another replica applies here within one sync interval (at once on
the replica that set it). If PostgreSQL is away, each replica goes on limiting alone on its own counts.

Lock-outs against guessing: failed staff logins count per account and per address, 401 answers per address;
past a threshold the account's logins (or the address's every call) get 429 `too_many_attempts` for a time
that doubles with each further failure, even with the right password."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from datetime import UTC, datetime

from aiohttp import web

from services.gateway import store
from services.gateway.settings import GatewaySettings
from shared.db import Database
from shared.http import Problem
from shared.logging import get_logger


class RateLimited(Problem):
    status, code, title = 429, "rate_limited", "Too many requests"


class TooManyAttempts(Problem):
    status, code, title = 429, "too_many_attempts", "Too many failed attempts"


def client_ip(request: web.Request, trust_forwarded_for: bool) -> str:
    """The peer's address, or behind a trusted proxy the address that proxy appended: the LAST entry of
    X-Forwarded-For (the ones before it are whatever the client chose to send)."""
    if trust_forwarded_for:
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return request.remote or "unknown"


def account_key(username: str) -> str:
    return f"acct:{username[:128]}"


class RateLimiter:
    def __init__(self, db: Database, settings: GatewaySettings):
        self.db = db
        self.window = max(1, settings.rate_window_seconds)
        self.limits = {"ip": settings.rate_ip_limit, "user": settings.rate_user_limit}
        self.trust_forwarded_for = settings.trust_forwarded_for
        self.settings = settings
        self.sync_seconds = settings.rate_sync_seconds
        self.log = get_logger("gateway").bind(component="ratelimit")
        self._window_start = 0.0  # the window the counts below belong to (epoch seconds), up to its end
        self._window_end = 0.0
        self._shared: dict[str, int] = {}  # bucket -> every replica's hits in PostgreSQL at the last sync
        self._pending: dict[str, int] = {}  # bucket -> hits counted here and not yet added there
        # bucket -> hits on their way there: counted until the sync's totals (which include them) arrive, or a
        # request in that round trip would see neither and slip past the limit
        self._sending: dict[str, int] = {}
        self._locks: dict[str, float] = {}  # address key -> time.monotonic() its lock-out ends
        self._task: asyncio.Task[None] | None = None
        self._syncing = asyncio.Lock()  # one sync at a time: `_sending` holds one round trip's hits

    def ip_key(self, request: web.Request) -> str:
        return f"ip:{client_ip(request, self.trust_forwarded_for)}"

    async def check(self, request: web.Request, subject: str | None) -> None:
        """Count this request; raise TooManyAttempts when its address is locked out, RateLimited when the IP
        or the subject is past its limit. No database round trip: see the module's docstring."""
        ip = self.ip_key(request)
        if self._locks:  # seldom any: no clock read otherwise
            locked = self._locks.get(ip, 0.0) - time.monotonic()
            if locked > 0:
                raise locked_out(locked)
        now = time.time()
        if not self._window_start <= now < self._window_end:  # a new window: the old counts are over
            start = math.floor(now / self.window) * self.window
            self._window_start, self._window_end = start, start + self.window
            self._shared, self._pending, self._sending = {}, {}, {}
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._sync_loop(), name="ratelimit-sync")
        # Both buckets are counted before either is judged, as a refused request still counts against both.
        user = f"sub:{subject}" if subject else None
        pending = self._pending
        pending[ip] = pending.get(ip, 0) + 1
        if user is not None:
            pending[user] = pending.get(user, 0) + 1
        self._judge(ip, self.limits["ip"], now)
        if user is not None:
            self._judge(user, self.limits["user"], now)

    def _judge(self, bucket: str, limit: int, now: float) -> None:
        if self._shared.get(bucket, 0) + self._sending.get(bucket, 0) + self._pending[bucket] > limit:
            retry_after = max(1, math.ceil(self._window_end - now))  # seconds to the next window
            raise RateLimited(f"Slow down: at most {limit} requests per {self.window} s",
                              headers={"Retry-After": str(retry_after)})

    async def sync(self) -> None:
        """Add the hits counted here to PostgreSQL; learn every replica's totals and the addresses locked."""
        async with self._syncing:
            await self._sync()

    async def _sync(self) -> None:
        if not self._pending:
            return
        window_start, pending = self._window_start, self._pending
        self._pending, self._sending = {}, pending  # hits from here on go to the next sync
        try:
            totals, locks = await store.add_rate_hits(self.db, datetime.fromtimestamp(window_start, UTC), pending)
        except BaseException:
            if self._window_start == window_start:  # not added: count them again next time
                self._sending = {}
                for bucket, hits in pending.items():
                    self._pending[bucket] = self._pending.get(bucket, 0) + hits
            raise
        if self._window_start == window_start:
            self._shared.update(totals)
            self._sending = {}
        now = time.monotonic()
        self._locks = {key: now + seconds for key, seconds in locks.items()}

    async def _sync_loop(self) -> None:
        """Sync every `sync_seconds` while requests come; ends after a quiet interval (the next request starts
        it again), so an idle gateway costs the database nothing."""
        while True:
            await asyncio.sleep(self.sync_seconds)
            if not self._pending:
                return
            try:
                await self.sync()
            except Exception as exc:  # noqa: BLE001 - the database is away: limit on local counts meanwhile
                self.log.warning("rate-limit sync failed; counting locally", error=repr(exc))

    async def close(self) -> None:
        """Add what was counted here before the gateway stops (best effort)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.sync()

    # --- lock-outs -------------------------------------------------------------------------------------

    async def refuse_if_locked(self, keys: list[str]) -> None:
        locked = await store.locked_for(self.db, keys)
        if locked > 0:
            raise locked_out(locked)

    async def attempt(self, username: str) -> float:
        """Count a staff login for its account before the password is checked (a success clears it again),
        so a burst of parallel guesses gets no more evaluated than the threshold. Raises TooManyAttempts
        when the account is past it; else the seconds of lock-out this attempt sets should it fail."""
        seconds, locked = await self._count({account_key(username): self.settings.login_account_failures})
        if locked:
            raise locked_out(seconds)
        return seconds

    async def failed(self, request: web.Request) -> float:
        """Count a failure of this address; the seconds of lock-out it caused (0: none)."""
        ip = self.ip_key(request)
        seconds, _ = await self._count({ip: self.settings.login_ip_failures})
        if seconds > 0:  # this replica refuses the address at once; the others learn it at their next sync
            self._locks[ip] = max(self._locks.get(ip, 0.0), time.monotonic() + seconds)
        return seconds

    async def _count(self, thresholds: dict[str, int]) -> tuple[float, bool]:
        """One more failure for each key, locking those at or past their threshold; (the longest lock-out
        set, whether a key was locked already: a parallel attempt locked it after this one checked)."""
        s = self.settings
        longest, was_locked = 0.0, False
        async with self.db.transaction() as tx:
            counts = await store.count_failures(tx, list(thresholds), s.login_failure_window_seconds)
            for key, (failures, locked_for) in counts.items():
                beyond = failures - thresholds[key]
                if locked_for > 0:
                    was_locked = True
                    longest = max(longest, locked_for)
                elif beyond >= 0:
                    seconds = min(s.login_lock_max_seconds, s.login_lock_seconds * 2 ** min(beyond, 30))
                    await store.lock(tx, key, seconds)
                    longest = max(longest, seconds)
        return longest, was_locked

    async def succeeded(self, username: str) -> None:
        await store.clear_failures(self.db, account_key(username))


def locked_out(seconds: float) -> TooManyAttempts:
    return TooManyAttempts("Too many failed attempts: try again later",
                           headers={"Retry-After": str(max(1, math.ceil(seconds)))})
