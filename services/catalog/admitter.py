"""The flash-sale admitter (秒杀): buyers' admission requests decided in batches, one transaction per batch
(group commit).

A request waits on a future. One drain task per process takes every request waiting, decides them in one
transaction (`flows.flash.admit_batch`: the sale's row locked once, one conditional decrement by the batch's
total, the buyers' counts, one admission row per admitted request), commits, and answers them all; requests
arriving meanwhile wait for the next batch. So a hot sale costs one lock and one WAL flush per batch, not
per buyer. The batching only amortises: the database decides, under the sale's row lock, so admitters of
several replicas never admit more than the sale has or a buyer more than the limit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.catalog.domain import AdmissionRequest, admission_refused
from services.catalog.flows import flash
from services.catalog.flows.flash import Admitted, Verdict
from shared.clock import Clock
from shared.db import Database


@dataclass(frozen=True)
class _Waiting:
    sale_id: str
    request: AdmissionRequest
    answer: asyncio.Future[Verdict]


class FlashAdmitter:
    def __init__(self, db: Database, clock: Clock, max_batch: int):
        self.db, self.clock, self.max_batch = db, clock, max_batch
        self._waiting: list[_Waiting] = []
        self._drain: asyncio.Task[None] | None = None

    async def admit(self, sale_id: str, request: AdmissionRequest) -> str:
        """The buyer's admission id, once their request's batch is committed; a refused buyer gets a Refusal
        whose code says why (`flash_sale_sold_out`, `flash_sale_limit`, ...)."""
        answer: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(sale_id, request, answer))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._decide_waiting(), name="flash-admitter")
        verdict = await answer
        if isinstance(verdict, Admitted):
            return verdict.admission_id
        raise admission_refused(verdict)

    async def _decide_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            try:
                answers = await self._decide(batch)
            except Exception as exc:  # the batch's transaction rolled back: nothing of it was admitted
                for waiting in batch:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(exc)
                continue
            for waiting, answer in zip(batch, answers, strict=True):
                if not waiting.answer.done():  # its caller went away: a held admission no order takes is
                    waiting.answer.set_result(answer)  # released by the job later
        self._drain = None

    async def _decide(self, batch: list[_Waiting]) -> list[Verdict]:
        """Every sale of the batch in one transaction, their rows locked in id order (so two replicas' batches
        never wait for each other in opposite orders)."""
        now = self.clock.now()
        answers: dict[int, Verdict] = {}
        async with self.db.transaction() as tx:
            for sale_id in sorted({w.sale_id for w in batch}):
                mine = [i for i, w in enumerate(batch) if w.sale_id == sale_id]
                decided = await flash.admit_batch(tx, sale_id, [batch[i].request for i in mine], now)
                answers.update(zip(mine, decided, strict=True))
        return [answers[i] for i in range(len(batch))]
