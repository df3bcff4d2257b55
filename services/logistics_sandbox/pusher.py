"""Signed pushes to a subscriber's callbackurl, retried until it answers `result: true` (快递100 pushes again
when the answer is anything else)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from shared.logging import get_logger


@dataclass
class Push:
    url: str
    form: dict[str, str]
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


class Pusher:
    def __init__(self, session: aiohttp.ClientSession, delays_s: list[float], timeout_s: float = 5.0):
        self.session = session
        self.delays_s = delays_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.pushes: list[Push] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.log = get_logger("logistics_sandbox", component="pusher")

    def send(self, url: str, form: dict[str, str]) -> Push:
        push = Push(url, form)
        self.pushes.append(push)
        task = asyncio.create_task(self._deliver(push))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return push

    async def _deliver(self, push: Push) -> None:
        for delay in [0.0, *self.delays_s]:
            await asyncio.sleep(delay)
            status, body = await self._post(push)
            push.attempts.append({"status": status, "answer": body[:200]})
            with contextlib.suppress(ValueError, AttributeError):
                if json.loads(body).get("result") is True:
                    push.delivered = True
                    return
        self.log.warning("push given up", url=push.url)

    async def _post(self, push: Push) -> tuple[int, str]:
        try:
            async with self.session.post(push.url, data=push.form, timeout=self.timeout) as resp:
                return resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, type(exc).__name__

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
