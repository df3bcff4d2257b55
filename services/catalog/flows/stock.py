"""Stock use cases driven by the order saga: reserve every line of a placed order or none, release held
units, sell them once the order is paid, put refunded units back. Each runs in the caller's (the inbox's)
transaction."""

from __future__ import annotations

import asyncpg

from services.catalog.domain import (
    PriceMismatch,
    Reason,
    Want,
    over_purchase_limit,
    pairs,
    rejection_reason,
    reservation_plan,
)
from services.catalog.flows import flash
from services.catalog.store import stock
from shared.db import Tx
from shared.events.catalog import ReservedLine, StockRejected, StockReserved
from shared.events.common import Line
from shared.events.orders import OrderPlaced, OrderRefunded


class _Short(Exception):
    """One line could not be taken: roll back the lines already taken (the savepoint) and refuse."""

    def __init__(self, want: Want):
        super().__init__(want.sku_id)
        self.want = want


class _OverLimit(_Short):
    """Every line could be taken, but one takes the buyer past the per-buyer cap (the stock refusals, which
    say more, win when both apply)."""


async def reserve_order(tx: Tx, order: OrderPlaced, max_units_per_sku: int | None) -> None:
    """Reserve every line or none: conditional decrements (enough left, price unchanged) in one transaction.
    With `max_units_per_sku`, a buyer's unpaid units of one SKU (held before plus this order) stay within it.
    A flash-sale order takes the units of the buyer's admission to the sale instead. An order of no goods (an
    amount rung up at a store's counter) is reserved at once, holding nothing."""
    if not await stock.claim_order(tx.conn, order.order_id, order.user_id):
        return  # answered already (a re-sent placement), or cancelled before it reached us
    if any(line.flash_sale_id for line in order.lines):
        await _hold_flash(tx, order)
        return
    try:
        # A member-priced line is checked against the SKU's own price, which the buyer's level lowered.
        plan = reservation_plan((line.sku_id, line.qty, line.list_price_fen or line.unit_price_fen)
                                for line in order.lines)
    except PriceMismatch as exc:
        await _reject(tx, order, "price_changed", str(exc))
        return
    over = None if max_units_per_sku is None else await _over_limit(tx, order.user_id, plan, max_units_per_sku)
    try:
        # Everything this order writes goes first and the conditional decrements last: the hot SKU's row lock
        # is then held only from its UPDATE to the commit, which is what bounds a flash sale's throughput.
        async with tx.conn.transaction():  # a savepoint: a short line undoes everything written before it
            for want in plan:
                try:
                    await stock.add_reservation(tx.conn, order.order_id, want.sku_id, want.qty, order.user_id)
                except asyncpg.ForeignKeyViolationError:
                    raise _Short(want) from None  # no such SKU
            await tx.emit(StockReserved(order_id=order.order_id,
                                        lines=[ReservedLine(sku_id=w.sku_id, qty=w.qty) for w in plan]))
            for want in plan:
                if not await stock.take_stock(tx.conn, want.sku_id, want.qty, want.unit_price_fen):
                    raise _Short(want)
            if over is not None:  # there is stock, but more than this buyer may hold: undo and refuse
                raise _OverLimit(over)
    except _OverLimit as limit:
        await _reject(tx, order, "purchase_limit", limit.want.sku_id)
    except _Short as short:
        state = await stock.sku_state(tx.conn, short.want.sku_id)
        reason = rejection_reason(
            exists=state is not None, sellable=bool(state and state["sellable"]),
            price_fen=state["price_fen"] if state else -1, available=state["available"] if state else 0,
            want=short.want)
        await _reject(tx, order, reason, short.want.sku_id)


async def _hold_flash(tx: Tx, order: OrderPlaced) -> None:
    """A flash-sale order (orders places it as its only line) takes the units its admission holds of the sale,
    not of the SKU."""
    line = order.lines[0]
    reason = await flash.bind(tx, order.order_id, order.user_id, line) if len(order.lines) == 1 \
        else "flash_sale_unknown"
    if reason is not None:
        await _reject(tx, order, reason, line.sku_id)
        return
    await tx.emit(StockReserved(order_id=order.order_id, lines=[ReservedLine(sku_id=line.sku_id, qty=line.qty)]))


async def _over_limit(tx: Tx, user_id: str, plan: list[Want], cap: int) -> Want | None:
    """The first line that would take the buyer over the cap. The per buyer+SKU advisory locks (taken in the
    plan's SKU order, so never deadlocking) hold until commit: a concurrent order of the same buyer waits here
    and then counts this order's reservation, so two orders can never both pass the cap."""
    for want in plan:
        await stock.lock_buyer_sku(tx.conn, user_id, want.sku_id)
        if over_purchase_limit(await stock.held_by_buyer(tx.conn, user_id, want.sku_id), want.qty, cap):
            return want
    return None


async def _reject(tx: Tx, order: OrderPlaced, reason: Reason, sku_id: str | None) -> None:
    await stock.set_order_status(tx.conn, order.order_id, "rejected", user_id=order.user_id, reason=reason)
    await tx.emit(StockRejected(order_id=order.order_id, reason=reason, sku_id=sku_id))


async def release_order(tx: Tx, order_id: str, user_id: str) -> None:
    """Put held units back. A cancellation that overtakes its placement is remembered, so the late
    placement reserves nothing."""
    if await stock.claim_order(tx.conn, order_id, user_id, "cancelled_early"):
        return  # nothing was reserved; the placement, if it comes, finds the order taken
    if await stock.move_order(tx.conn, order_id, "reserved", "released"):
        await stock.release_held(tx.conn, order_id)
        await flash.release(tx.conn, order_id)


async def sell_order(tx: Tx, order_id: str) -> None:
    """The held units are sold: sold counts grow, and so do the bought-together counts."""
    if not await stock.move_order(tx.conn, order_id, "reserved", "sold"):
        return  # released already (the order was cancelled), or sold before
    products = await stock.sell_held(tx.conn, order_id)
    await flash.sell(tx.conn, order_id)
    await stock.count_bought_together(tx.conn, pairs(products))


async def restock_refund(tx: Tx, refund: OrderRefunded) -> None:
    """Refunded goods that never left the shop go back on sale (at most what the order bought)."""
    if refund.restock:
        await restock_units(tx, refund.order_id, refund.lines)


async def restock_units(tx: Tx, order_id: str, lines: list[Line]) -> None:
    """Units of a sold order back on sale: refunded before shipping, or a returned parcel received."""
    if await stock.order_status(tx.conn, order_id) != "sold":
        return
    await stock.restock_sold(tx.conn, order_id, [(line.sku_id, line.qty) for line in lines])
