"""The outbox relay: publishes events written in business transactions, with confirms, then marks them sent.

Several relays may run on one outbox (replicas): rows are claimed with FOR UPDATE SKIP LOCKED and stay
locked until they are marked, so no two relays publish the same row. A relay that dies after publishing
and before marking leaves the rows unsent; they are published again and the consumers' inbox drops the
duplicate. The relay wakes when its own process commits an event (`wake`, called by shared.db.Database
after the commit), when a writer without a relay of its own (seeds, scripts) announces `OUTBOX_KEY` on the
service's changes channel, which the relay hears through its process's `Changes` (one LISTEN connection per
process, shared with every waiter: each listening backend costs the database CPU on every NOTIFY), and polls
as a fallback: every `poll_seconds` while that LISTEN connection is down, and only every
`listening_poll_seconds` (never more often) while it is up, when the poll just covers a wake-up lost after a
commit (its process gone before it woke a relay).

A claimed batch is published at once and its confirms awaited together (Bus.publish_many); the confirmed
rows are marked sent in one statement. A row the broker refused (a nack) or whose confirm never came stays
unsent and is published again by a later round; the rest of its batch is not published again.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from shared.bus import Bus, Outgoing
from shared.changes import Changes
from shared.db import OUTBOX_KEY
from shared.logging import get_logger

CLAIM = """
SELECT seq, event_id, event_type, payload, trace_context FROM outbox
WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
"""
MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])"
PURGE = "DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)"


class PublishRefused(Exception):
    """Some events of a batch were not confirmed by the broker: left unsent, published again later."""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, bus: Bus, service: str, *, changes: Changes | None = None,
                 batch_size: int = 500, poll_seconds: float = 1.0, listening_poll_seconds: float = 10.0,
                 keep_sent_hours: int = 24):
        """`changes`: the process's own (shared.service passes it); a relay without one listens on its own."""
        self.pool = pool
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.listening_poll_seconds = max(poll_seconds, listening_poll_seconds)
        self.keep_sent_hours = keep_sent_hours
        self.log = get_logger(service, component="outbox")
        self._wake = asyncio.Event()
        self.published = 0
        self.changes = changes or Changes(pool, service)
        self._own_changes = changes is None
        self._down = False  # listening stopped (or never started) and the outage was logged

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is up (polling carries on either way)."""
        return self.changes.listening

    def wake(self) -> None:
        """Run a round now: an event was committed in this process (shared.db.Database.wake_own_relay)."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were published. Raises PublishRefused (after
        marking the others sent) when the broker did not confirm some."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.batch_size)
            if not rows:
                return 0
            outcomes = await self.bus.publish_many([
                Outgoing(r["event_type"], bytes(r["payload"]), str(r["event_id"]), producer=self.service,
                         trace_context=r["trace_context"]) for r in rows])
            sent = [r["seq"] for r, outcome in zip(rows, outcomes, strict=True) if outcome is None]
            if sent:
                await conn.execute(MARK_SENT, sent)
        self.published += len(sent)
        refused = [outcome for outcome in outcomes if outcome is not None]
        if refused:
            raise PublishRefused(f"{len(refused)} of {len(rows)} events not confirmed, first: {refused[0]!r}")
        return len(sent)

    def announced(self, key: str) -> None:
        """Changes.Watcher: a key was announced on the service's changes channel."""
        if key == OUTBOX_KEY:
            self._wake.set()

    def restarted(self) -> None:
        """Changes.Watcher: listening stopped or started again. Said once per outage; a round runs now, for what
        was committed while nobody listened (and, while down, the relay polls)."""
        if not self.changes.listening and not self._down:
            self.log.warning("outbox listener lost; polling until it is back")
            self._down = True
        elif self.changes.listening and self._down:
            self.log.info("outbox listener back")
            self._down = False
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled. Errors (broker or database away) are logged and retried with backoff."""
        self.changes.watch(self)
        backoff = 0.1
        rounds = 0
        try:
            while True:
                # Cleared before the round, not after: a commit announced while the round runs may hold rows
                # the round did not see, and must wake the next round rather than wait for the poll.
                self._wake.clear()
                try:
                    count = await self.relay_once()
                    backoff = 0.1
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep relaying once the broker is back
                    self.log.warning("outbox relay failed; retrying", error=repr(exc), backoff=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                rounds += 1
                if rounds % 1000 == 0:
                    await self._purge()
                if count < self.batch_size:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that arrives
                    # as the wait ends, and the relay would then outlive its service's stop.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.listening_poll_seconds if self.listening
                                                   else self.poll_seconds):
                            await self._wake.wait()
        finally:
            if self._own_changes:
                await self.changes.close()

    async def _purge(self) -> None:
        with contextlib.suppress(Exception):
            await self.pool.execute(PURGE, self.keep_sent_hours)
