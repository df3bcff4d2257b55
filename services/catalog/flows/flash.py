"""Flash sales (秒杀): a merchant schedules one, the order saga admits buyers against it.

Admission happens in the consumer's transaction of `order.placed`, which the inbox shares among every message
waiting (shared.inbox): a batch of concurrent orders is decided in one transaction, so the sale's hot row is
locked, and the WAL flushed, once per batch rather than once per order. That, and touching only the sale's
own small row (its units were moved out of the SKU when it was scheduled), is what lets one hot sale admit
many times more buyers a second than one transaction per order can on a single row (docs/benchmarks.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

import asyncpg

from services.catalog.domain import FlashSale, Reason, check_flash_schedule, flash_refusal
from services.catalog.store import flash as store
from shared.db import Tx
from shared.events.catalog import FlashSaleScheduled
from shared.events.common import Line
from shared.refusal import Refusal

CLOSE_BATCH = 100  # ended sales closed per transaction


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


async def admit(tx: Tx, order_id: str, user_id: str, line: Line, placed_at: datetime) -> Reason | None:
    """Admit one order line to the sale it names, or say why not. The sale's row is locked first, and held by
    the batch's transaction until it commits (a refused order too), then one statement decides."""
    assert line.flash_sale_id is not None
    row = await store.lock_sale(tx.conn, line.flash_sale_id)
    sale = None if row is None else FlashSale(row["id"], row["sku_id"], row["price_fen"], row["per_buyer_limit"],
                                              row["starts_at"], row["ends_at"])
    reason = flash_refusal(sale, sku_id=line.sku_id, unit_price_fen=line.unit_price_fen, qty=line.qty,
                           at=placed_at)
    if reason is not None or sale is None:
        return reason or "flash_sale_unknown"
    return cast(Reason | None, await store.admit(tx.conn, sale.sale_id, user_id, line.qty, order_id))


async def release(conn: asyncpg.Connection, order_id: str) -> None:
    await store.release(conn, order_id)


async def close_ended(tx: Tx, now: datetime) -> int:
    return await store.close_ended(tx.conn, now, CLOSE_BATCH)


async def sell(conn: asyncpg.Connection, order_id: str) -> None:
    await store.sell(conn, order_id)
