"""Rate limits per client IP and per authenticated subject: fixed windows counted in PostgreSQL, so every
gateway replica sees the same counts. Past the limit: 429 with `Retry-After` (seconds to the next window)."""

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


def client_ip(request: web.Request, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote or "unknown"


class RateLimiter:
    def __init__(self, db: Database, settings: GatewaySettings):
        self.db = db
        self.window = max(1, settings.rate_window_seconds)
        self.limits = {"ip": settings.rate_ip_limit, "user": settings.rate_user_limit}
        self.trust_forwarded_for = settings.trust_forwarded_for

    def _window(self, now: float) -> tuple[datetime, int]:
        start = math.floor(now / self.window) * self.window
        retry_after = max(1, math.ceil(start + self.window - now))
        return datetime.fromtimestamp(start, UTC), retry_after

    async def check(self, request: web.Request, subject: str | None) -> None:
        """Count this request; raise RateLimited when the IP or the subject is past its limit."""
        buckets = {f"ip:{client_ip(request, self.trust_forwarded_for)}": self.limits["ip"]}
        if subject:
            buckets[f"sub:{subject}"] = self.limits["user"]
        window_start, retry_after = self._window(time.time())
        hits = await store.hit_rate_buckets(self.db, list(buckets), window_start)
        for bucket, limit in buckets.items():
            if hits.get(bucket, 0) > limit:
                raise RateLimited(f"Slow down: at most {limit} requests per {self.window} s",
                                  headers={"Retry-After": str(retry_after)})

    async def forget_old(self) -> None:
        await store.forget_old_windows(self.db, datetime.fromtimestamp(time.time() - 2 * self.window, UTC))
