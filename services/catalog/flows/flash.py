"""Flash sales (秒杀): a merchant schedules one, buyers are admitted to it before their order is placed, and
the order saga holds an admission's units for the order that names it.

Admission (`admit_batch`) decides many buyers' requests in one transaction, run by the batching admitter
(`services.catalog.admitter`): the sale's row is locked, and the WAL flushed, once per batch rather than once
per buyer, and a refused buyer never becomes an order at all. That, and touching only the sale's own small
row (its units were moved out of the SKU when it was scheduled), is what lets one hot sale admit many times
more buyers a second than one transaction per order can on a single row (docs/benchmarks.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.catalog.domain import AdmissionRequest, FlashSale, Reason, check_flash_schedule, decide_admissions
from services.catalog.store import flash as store
from shared.db import Tx
from shared.events.catalog import FlashSaleScheduled
from shared.events.common import Line
from shared.refusal import Refusal

CLOSE_BATCH = 100  # ended sales closed per transaction
RELEASE_BATCH = 100  # unclaimed admissions released per transaction


@dataclass(frozen=True)
class Admitted:
    admission_id: str


Verdict = Admitted | Reason  # what an admission request gets: admitted, or why not


class SaleOverAdmitted(Exception):
    """The sale had fewer units left than a decided batch takes: never expected, as the batch was decided
    under the sale's lock; the batch's transaction is rolled back and its callers get an error."""


async def schedule(tx: Tx, merchant_id: str, *, sku_id: str, price_fen: int, quantity: int, per_buyer_limit: int,
                   starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """The sale, its units taken out of the SKU's available stock, and flash_sale.scheduled for orders."""
    sku = await store.sku_for_sale(tx.conn, sku_id, merchant_id)
    if sku is None:
        raise Refusal("unknown_sku", "No such SKU among this merchant's", 404)
    check_flash_schedule(price_fen=price_fen, sku_price_fen=sku["price_fen"], quantity=quantity,
                         per_buyer_limit=per_buyer_limit, starts_at=starts_at, ends_at=ends_at, now=now)
    if sku["available"] < quantity:
        raise Refusal("flash_sale_stock", f"Only {sku['available']} units are available", 409,
                      available=sku["available"])
    if await store.overlapping_sale(tx.conn, sku_id, starts_at, ends_at):
        raise Refusal("flash_sale_overlap", "This SKU has another flash sale in that window", 409)
    sale_id = f"fs_{uuid.uuid4().hex[:16]}"
    await store.insert_sale(tx.conn, sale_id, merchant_id, sku_id, price_fen, quantity, per_buyer_limit,
                            starts_at, ends_at)
    await tx.emit(FlashSaleScheduled(sale_id=sale_id, merchant_id=merchant_id, sku_id=sku_id, price_fen=price_fen,
                                     quantity=quantity, per_buyer_limit=per_buyer_limit, starts_at=starts_at,
                                     ends_at=ends_at))
    return sale_id


def _sale(row: asyncpg.Record | None) -> FlashSale | None:
    return None if row is None else FlashSale(row["id"], row["sku_id"], row["price_fen"], row["per_buyer_limit"],
                                              row["starts_at"], row["ends_at"])


async def admit_batch(tx: Tx, sale_id: str, requests: Sequence[AdmissionRequest], now: datetime
                      ) -> list[Verdict]:
    """Decide a batch of requests for one sale in the caller's transaction: for each, its admission or the
    reason it is refused. The sale's row is locked first, so the counts read next are every earlier batch's
    (of any replica) and nobody else's until commit. A request already admitted (a retry with the same key,
    or the same key twice in the batch) gets that admission again; a refusal is not stored, so a retry is
    decided afresh."""
    row = await store.lock_sale(tx.conn, sale_id)
    sale, remaining = _sale(row), 0 if row is None else row["remaining"]
    known, held = await store.batch_state(tx.conn, sale_id, [r.user_id for r in requests],
                                          [r.key for r in requests])
    fresh: dict[tuple[str, str], AdmissionRequest] = {}
    for request in requests:
        if (request.user_id, request.key) not in known:
            fresh.setdefault((request.user_id, request.key), request)
    new = list(fresh.values())
    decided: dict[tuple[str, str], Verdict] = {k: Admitted(v) for k, v in known.items()}
    admitted: list[tuple[str, AdmissionRequest]] = []
    for request, reason in zip(new, decide_admissions(sale, remaining, held, new, now), strict=True):
        if reason is None:
            admission_id = f"fa_{uuid.uuid4().hex[:20]}"
            admitted.append((admission_id, request))
            decided[(request.user_id, request.key)] = Admitted(admission_id)
        else:
            decided[(request.user_id, request.key)] = reason
    if admitted and not await store.admit(tx.conn, sale_id, [i for i, _ in admitted],
                                          [r.user_id for _, r in admitted], [r.key for _, r in admitted],
                                          [r.qty for _, r in admitted], now):
        raise SaleOverAdmitted(sale_id)
    return [decided[(r.user_id, r.key)] for r in requests]


async def bind(tx: Tx, order_id: str, user_id: str, line: Line) -> Reason | None:
    """The placed order takes the admission it names (no lock on the sale: the admission holds the units), or
    the reason it cannot: a line not as the sale sells it, or no such admission of this buyer still free
    (never admitted, already taken by another order, or released because no order came in time)."""
    assert line.flash_sale_id is not None
    sale = _sale(await store.sale(tx.conn, line.flash_sale_id))
    if sale is None or sale.sku_id != line.sku_id:
        return "flash_sale_unknown"
    if line.unit_price_fen != sale.price_fen:
        return "price_changed"
    if line.flash_admission_id is None or not await store.bind(
            tx.conn, line.flash_admission_id, order_id, sale.sale_id, user_id, line.qty):
        return "flash_not_admitted"
    return None


async def release(conn: asyncpg.Connection, order_id: str) -> None:
    await store.release(conn, order_id)


async def release_admission(tx: Tx, admission_id: str, sale_id: str, user_id: str) -> None:
    """Give back at once the units of an admission whose placement orders refused (it never becomes an order),
    rather than after MALL_FLASH_ADMISSION_HOLD_SECONDS; the job stays for a gateway that never said so.
    Idempotent: an admission already released is fine. One an order took is that order's (released with it
    if unpaid), never this call's."""
    admission = await store.release_admission(tx.conn, admission_id, sale_id, user_id)
    if admission is None:
        raise Refusal("flash_admission_not_found", "No such admission of yours", 404)
    if admission["order_id"] is not None:
        raise Refusal("flash_admission_taken", "An order took this admission", 409)


async def release_unclaimed(tx: Tx, before: datetime) -> int:
    return await store.release_unclaimed(tx.conn, before, RELEASE_BATCH)


async def close_ended(tx: Tx, now: datetime) -> int:
    return await store.close_ended(tx.conn, now, CLOSE_BATCH)


async def sell(conn: asyncpg.Connection, order_id: str) -> None:
    await store.sell(conn, order_id)
