"""The outbox relay: publishes events written in business transactions, with confirms, then marks them sent.

Several relays may run on one outbox (replicas): rows are claimed with FOR UPDATE SKIP LOCKED and stay
locked until they are marked, so no two relays publish the same row. A relay that dies after publishing
and before marking leaves the rows unsent; they are published again and the consumers' inbox drops the
duplicate. The relay wakes on NOTIFY (sent at commit by Tx.emit) and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from shared.bus import Bus
from shared.db import outbox_channel
from shared.logging import get_logger

CLAIM = """
SELECT seq, event_id, event_type, payload FROM outbox
WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
"""
MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])"
PURGE = "DELETE FROM outbox WHERE sent_at < now() - make_interval(hours => $1)"


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, bus: Bus, service: str, *, batch_size: int = 500,
                 poll_seconds: float = 1.0, keep_sent_hours: int = 24):
        self.pool = pool
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.keep_sent_hours = keep_sent_hours
        self.log = get_logger(service).bind(component="outbox")
        self._wake = asyncio.Event()
        self.published = 0

    async def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were published."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CLAIM, self.batch_size)
            if not rows:
                return 0
            await asyncio.gather(*(
                self.bus.publish(r["event_type"], bytes(r["payload"]), message_id=str(r["event_id"]),
                                 producer=self.service)
                for r in rows))
            await conn.execute(MARK_SENT, [r["seq"] for r in rows])
        self.published += len(rows)
        return len(rows)

    async def run(self) -> None:
        """Relay until cancelled. Errors (broker or database away) are logged and retried with backoff."""
        listener = asyncio.create_task(self._listen())
        backoff = 0.1
        rounds = 0
        try:
            while True:
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
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener

    async def _purge(self) -> None:
        with contextlib.suppress(Exception):
            await self.pool.execute(PURGE, self.keep_sent_hours)

    async def _listen(self) -> None:
        """Hold a LISTEN connection; if it breaks, polling carries on until it is back."""
        channel = outbox_channel(self.service)
        while True:
            try:
                async with self.pool.acquire() as conn:
                    def wake(*_: object) -> None:
                        self._wake.set()

                    await conn.add_listener(channel, wake)
                    try:
                        while not conn.is_closed():
                            await asyncio.sleep(self.poll_seconds)
                    finally:
                        with contextlib.suppress(Exception):
                            await conn.remove_listener(channel, wake)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                self.log.warning("outbox listener lost", error=repr(exc))
                await asyncio.sleep(self.poll_seconds)
