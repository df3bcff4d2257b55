"""A service's stop ends even when a background task loses its first cancel."""

from __future__ import annotations

import asyncio

from shared.logging import get_logger
from shared.service import stop_tasks


async def test_a_task_that_swallows_a_cancel_is_still_stopped() -> None:
    rounds = 0

    async def stubborn() -> None:
        # What a loop looks like after a lost cancel: it carries on with its next round.
        nonlocal rounds
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                rounds += 1
                if rounds == 1:
                    continue
                raise

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.02)
    await asyncio.wait_for(stop_tasks([task], get_logger("test")), 5)
    assert task.cancelled()
    assert rounds == 2


async def test_a_task_that_never_stops_does_not_hang_the_stop() -> None:
    alive = True

    async def deaf() -> None:
        while alive:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(deaf())
    await asyncio.wait_for(stop_tasks([task], get_logger("test"), seconds=1.5), 5)
    assert not task.done()
    alive = False
    await task
