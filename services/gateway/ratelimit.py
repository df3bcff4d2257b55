"""Rate limits per client IP and per authenticated subject: fixed windows counted in PostgreSQL, so every
gateway replica sees the same counts. Past the limit: 429 with `Retry-After` (seconds to the next window).

Lock-outs against guessing: failed staff logins count per account and per address, 401 answers per address;
past a threshold the account's logins (or the address's every call) get 429 `too_many_attempts` for a time
that doubles with each further failure, even with the right password."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from aiohttp import web

from services.gateway import store
from services.gateway.settings import GatewaySettings
from shared.db import Database
from shared.http import Problem


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

    def _window(self, now: float) -> tuple[datetime, int]:
        start = math.floor(now / self.window) * self.window
        retry_after = max(1, math.ceil(start + self.window - now))
        return datetime.fromtimestamp(start, UTC), retry_after

    def ip_key(self, request: web.Request) -> str:
        return f"ip:{client_ip(request, self.trust_forwarded_for)}"

    async def check(self, request: web.Request, subject: str | None) -> None:
        """Count this request; raise TooManyAttempts when its address is locked out, RateLimited when the IP
        or the subject is past its limit."""
        ip = self.ip_key(request)
        buckets = {ip: self.limits["ip"]}
        if subject:
            buckets[f"sub:{subject}"] = self.limits["user"]
        window_start, retry_after = self._window(time.time())
        hits, locked = await store.hit_rate_buckets(self.db, list(buckets), window_start, [ip])
        if locked > 0:
            raise locked_out(locked)
        for bucket, limit in buckets.items():
            if hits.get(bucket, 0) > limit:
                raise RateLimited(f"Slow down: at most {limit} requests per {self.window} s",
                                  headers={"Retry-After": str(retry_after)})

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
        seconds, _ = await self._count({self.ip_key(request): self.settings.login_ip_failures})
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
