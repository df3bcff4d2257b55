"""Signed async notifies to a trade's notify_url, retried until the merchant answers exactly `success`."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from shared.alipay.signing import sign_notify
from shared.logging import get_logger


@dataclass
class Delivery:
    notify_id: str
    url: str
    form: dict[str, str]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


class Notifier:
    def __init__(self, session: aiohttp.ClientSession, private_key_pem: str, delays_s: list[float],
                 timeout_s: float = 5.0):
        self.session = session
        self.private_key_pem = private_key_pem
        self.delays_s = delays_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.log = get_logger("alipay_sandbox", component="notifier")

    def send(self, url: str, params: dict[str, str]) -> Delivery:
        delivery = Delivery(params["notify_id"], url, sign_notify(params, self.private_key_pem))
        self.deliveries.append(delivery)
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _deliver(self, delivery: Delivery) -> None:
        # One attempt now, then one after each delay: Alipay's 8 attempts on a compressed clock.
        for delay in [0.0, *self.delays_s]:
            await asyncio.sleep(delay)
            answer, status = await self._post(delivery)
            delivery.attempts.append({"status": status, "answer": answer[:200]})
            if answer == "success":  # exactly these 7 characters; anything else is a failure (notes §2.3)
                delivery.delivered = True
                return
        self.log.warning("notify given up", notify_id=delivery.notify_id, url=delivery.url)

    async def _post(self, delivery: Delivery) -> tuple[str, int]:
        try:
            async with self.session.post(delivery.url, data=delivery.form, timeout=self.timeout) as resp:
                return (await resp.text(errors="replace")), resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}", 0

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
