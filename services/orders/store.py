"""All SQL of orders: SKU copy, carts, orders and lines, deadlines, refunds.

Every function takes a connection (usually `tx.conn`), so the caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from services.orders.domain import LIVE_REFUND, OPEN_REFUND, Held, Priced, RefundAmounts, Sku
from shared.events.catalog import FlashSaleScheduled, SkuChanged

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy | asyncpg.Pool

# --- SKU copy ---------------------------------------------------------------------------------------


async def save_flash_sale(conn: Conn, sale: FlashSaleScheduled) -> None:
    await conn.execute(
        "INSERT INTO flash_sales (sale_id, sku_id, price_fen, per_buyer_limit, starts_at, ends_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sale_id) DO NOTHING",
        sale.sale_id, sale.sku_id, sale.price_fen, sale.per_buyer_limit, sale.starts_at, sale.ends_at)


async def flash_sale(conn: Conn, sale_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT sale_id, sku_id, price_fen, per_buyer_limit, starts_at, ends_at "
                               "FROM flash_sales WHERE sale_id = $1", sale_id)


async def upsert_sku(conn: Conn, sku: SkuChanged) -> None:
    """Keep the highest revision: an older sku.changed arriving late changes nothing."""
    await conn.execute(
        """
        INSERT INTO skus (sku_id, product_id, merchant_id, category_id, name, price_fen, deposit_fen,
                          sellable, revision, category_ancestors)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (sku_id) DO UPDATE SET
            product_id = excluded.product_id, merchant_id = excluded.merchant_id,
            category_id = excluded.category_id, name = excluded.name, price_fen = excluded.price_fen,
            deposit_fen = excluded.deposit_fen, sellable = excluded.sellable, revision = excluded.revision,
            category_ancestors = excluded.category_ancestors
        WHERE skus.revision < excluded.revision
        """,
        sku.sku_id, sku.product_id, sku.merchant_id, sku.category_id, sku.name, sku.price_fen,
        sku.deposit_fen, sku.sellable, sku.revision, sku.category_ancestors)


async def skus_by_id(conn: Conn, sku_ids: Iterable[str]) -> dict[str, Sku]:
    rows = await conn.fetch(
        "SELECT sku_id, product_id, merchant_id, category_id, name, price_fen, deposit_fen, sellable, "
        "category_ancestors FROM skus WHERE sku_id = ANY($1::text[])", list(sku_ids))
    return {r["sku_id"]: Sku(**(dict(r) | {"category_ancestors": tuple(r["category_ancestors"])})) for r in rows}


# --- carts ----------------------------------------------------------------------------------------


async def set_cart_qty(conn: Conn, user_id: str, sku_id: str, qty: int, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO cart_items (user_id, sku_id, qty, added_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id, sku_id) DO UPDATE SET qty = excluded.qty", user_id, sku_id, qty, now)


async def remove_from_cart(conn: Conn, user_id: str, sku_ids: Sequence[str]) -> int:
    done = await conn.execute("DELETE FROM cart_items WHERE user_id = $1 AND sku_id = ANY($2::text[])",
                              user_id, list(sku_ids))
    return int(done.split()[-1])


async def count_cart_other(conn: Conn, user_id: str, sku_id: str) -> int:
    """How many other SKUs the cart holds (a limit check; changing a quantity is never refused by it)."""
    return await conn.fetchval("SELECT count(*) FROM cart_items WHERE user_id = $1 AND sku_id <> $2",
                               user_id, sku_id)


async def cart_of(conn: Conn, user_id: str) -> list[asyncpg.Record]:
    """The cart with today's prices from the SKU copy (a SKU that vanished shows as not sellable)."""
    return await conn.fetch(
        """
        SELECT c.sku_id, c.qty, c.added_at, s.merchant_id, s.product_id, s.name, s.price_fen, s.deposit_fen,
               coalesce(s.sellable, false) AS sellable
        FROM cart_items c LEFT JOIN skus s ON s.sku_id = c.sku_id
        WHERE c.user_id = $1 ORDER BY c.added_at, c.sku_id
        """, user_id)


# --- orders -----------------------------------------------------------------------------------------

ORDER_COLUMNS = """id, user_id, merchant_id, status, entry, coupon_id, points, subject, subtotal_fen, deposit_fen,
    discount_fen, points_fen, payable_fen, stock_status, promotion_status, reason, pay_by, payment_id,
    payment_method, paid_fen, paid_at, shipped_at, auto_confirm_at, completed_at, cancelled_at, created_at,
    updated_at, freight_fen, delivery, delivered_at, freight_off_fen, group_id, group_state, deposit_frozen_at"""


async def insert_order(conn: Conn, *, order_id: str, user_id: str, priced: Priced, entry: str,
                       coupon_id: str | None, points: int, subject: str, promotion_status: str,
                       pay_by: datetime, now: datetime, delivery: dict[str, Any] | None = None,
                       group_id: str | None = None) -> None:
    await conn.execute(
        """
        INSERT INTO orders (id, user_id, merchant_id, status, entry, coupon_id, points, subject, subtotal_fen,
                            deposit_fen, promotion_status, pay_by, created_at, updated_at, delivery, freight_fen,
                            group_id, group_state)
        VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15,
                CASE WHEN $15::text IS NOT NULL THEN 'waiting' END)
        """,
        order_id, user_id, priced.merchant_id, entry, coupon_id, points, subject, priced.subtotal_fen,
        priced.deposit_fen, promotion_status, pay_by, now, delivery, (delivery or {}).get("freight_fen", 0),
        group_id)
    await conn.executemany(
        """
        INSERT INTO order_lines (order_id, line_no, sku_id, product_id, category_id, name, qty,
                                 unit_price_fen, deposit_fen, id, list_price_fen)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, gen_random_uuid()::text, $10)
        """,
        [(order_id, no, ln.sku_id, ln.product_id, ln.category_id, ln.name, ln.qty, ln.unit_price_fen,
          ln.deposit_fen, ln.list_price_fen) for no, ln in enumerate(priced.lines, start=1)])


async def lock_buyer_placements(conn: Conn, user_id: str) -> None:
    """One placement of a buyer at a time until commit, so concurrent placements count each other."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('orders.placement'), hashtext($1))", user_id)


async def count_unpaid_orders(conn: Conn, user_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM orders WHERE user_id = $1 AND status IN ('PENDING', 'AWAITING_PAYMENT')", user_id))


async def in_group(conn: Conn, user_id: str, group_id: str) -> bool:
    """The buyer has a live (not cancelled) order in this group-buy group."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM orders WHERE user_id = $1 AND group_id = $2 AND status <> 'CANCELLED'", user_id, group_id))


async def lock_order(conn: Conn, order_id: str) -> asyncpg.Record | None:
    """The order, locked for this transaction: every change of an order goes through here, so events
    and requests about one order are applied one after another."""
    return await conn.fetchrow(f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE", order_id)


async def lock_order_if_free(conn: Conn, order_id: str) -> asyncpg.Record | None:
    """The order locked, or None when another transaction holds it (the deadline job then tries later
    instead of waiting: a handler holding the order may be waiting for the job's deadline row)."""
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE SKIP LOCKED", order_id)


async def lock_user_order(conn: Conn, order_id: str, user_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND user_id = $2 FOR UPDATE", order_id, user_id)


async def lock_merchant_order(conn: Conn, order_id: str, merchant_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND merchant_id = $2 FOR UPDATE",
        order_id, merchant_id)


_UPDATABLE = frozenset({
    "status", "discount_fen", "points_fen", "payable_fen", "stock_status", "promotion_status", "reason",
    "payment_id", "payment_method", "paid_fen", "paid_at", "shipped_at", "auto_confirm_at", "completed_at",
    "cancelled_at", "delivered_at", "freight_off_fen", "group_state", "deposit_frozen_at"})


async def update_order(conn: Conn, order_id: str, now: datetime, **changes: Any) -> None:
    """Set the named columns (a fixed whitelist, so names never come from outside) and updated_at."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(changes)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
    await conn.execute(f"UPDATE orders SET {sets}, updated_at = $2 WHERE id = $1",
                       order_id, now, *(changes[n] for n in names))


async def order_of_user(conn: Conn, order_id: str, user_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND user_id = $2", order_id, user_id)


async def order_of_merchant(conn: Conn, order_id: str, merchant_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND merchant_id = $2", order_id, merchant_id)


async def set_buyer(conn: Conn, order_id: str, user_id: str, now: datetime) -> None:
    await conn.execute("UPDATE orders SET user_id = $2, updated_at = $3 WHERE id = $1", order_id, user_id, now)


class Where:
    """The conditions a list was asked for, and only those: `($2 IS NULL OR status = $2)` in a prepared
    statement turns into a generic plan that can use no index once PostgreSQL caches it."""

    def __init__(self, column: str, value: Any):
        self.args: list[Any] = []
        self.conditions = [f"{column} = {self.arg(value)}"]

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str, value: Any) -> None:
        self.conditions.append(condition.format(self.arg(value)))

    def __str__(self) -> str:
        return " AND ".join(self.conditions)


async def orders_of_user(conn: Conn, user_id: str, status: str | None, limit: int) -> list[asyncpg.Record]:
    where = Where("user_id", user_id)
    if status is not None:
        where.add("status = {}", status)
    return await conn.fetch(f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY created_at DESC, id "
                            f"LIMIT ${len(where.args) + 1}", *where.args, limit)


# `total` is counted exactly up to this many orders; above it, PostgreSQL's estimate (never below the cap + 1)
# stands in, so a list's cost does not grow with the merchant's history (services/orders/API.md).
EXACT_TOTAL_CAP = 10_000


DELIVERY_METHOD = {method: f"delivery->>'method' = '{method}'" for method in ("express", "pickup")}


def merchant_where(merchant_id: str, status: str | None, delivery_method: str | None,
                   created_from: datetime | None, created_before: datetime | None, id_part: str | None) -> Where:
    where = Where("merchant_id", merchant_id)
    if status is not None:
        where.add("status = {}", status)
    if delivery_method is not None:  # a literal: a plan uses the method's partial index only when it sees it
        where.conditions.append(DELIVERY_METHOD[delivery_method])
    if created_from is not None:
        where.add("created_at >= {}", created_from)
    if created_before is not None:
        where.add("created_at < {}", created_before)
    if id_part is not None:
        if len(id_part) >= 3:  # the ids with every trigram of it (an index: migration 0012), then the substring
            where.add("id_trigrams(id) @> id_trigrams({})", id_part)
        where.add("strpos(lower(id), lower({})) > 0", id_part)
    return where


async def orders_of_merchant(conn: Conn, merchant_id: str, status: str | None, delivery_method: str | None,
                             created_from: datetime | None, created_before: datetime | None, id_part: str | None,
                             limit: int, offset: int) -> tuple[list[asyncpg.Record], int, bool]:
    """A page of the merchant's orders, newest first, the `total` matching the filters and whether that total
    is exact (see EXACT_TOTAL_CAP)."""
    where = merchant_where(merchant_id, status, delivery_method, created_from, created_before, id_part)
    n = len(where.args)
    rows = await conn.fetch(f"SELECT {ORDER_COLUMNS} FROM orders WHERE {where} ORDER BY created_at DESC, id "
                            f"LIMIT ${n + 1} OFFSET ${n + 2}", *where.args, limit, offset)
    if rows and len(rows) < limit:  # the last page: the total is in hand
        return rows, offset + len(rows), True
    matching = f"SELECT 1 FROM orders WHERE {where}"
    counted = int(await conn.fetchval(f"SELECT count(*) FROM ({matching} LIMIT {EXACT_TOTAL_CAP + 1}) AS m",
                                      *where.args))
    if counted <= EXACT_TOTAL_CAP:
        return rows, counted, True
    plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {matching}", *where.args)
    if isinstance(plan, str):  # a bare connection, without the pool's json codec
        plan = orjson.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return rows, max(estimate, EXACT_TOTAL_CAP + 1), False


async def lines_of(conn: Conn, order_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT order_id, line_no, id, sku_id, product_id, category_id, name, qty, unit_price_fen, deposit_fen, "
        "list_price_fen "
        "FROM order_lines WHERE order_id = ANY($1::text[]) ORDER BY order_id, line_no", list(order_ids))
    found: dict[str, list[asyncpg.Record]] = {oid: [] for oid in order_ids}
    for row in rows:
        found[row["order_id"]].append(row)
    return found


# --- deadlines --------------------------------------------------------------------------------------


async def set_deadline(conn: Conn, order_id: str, kind: str, due_at: datetime, ref: str = "") -> None:
    """`ref` tells apart several deadlines of one kind (a refund's id; '' for the order's own)."""
    await conn.execute(
        "INSERT INTO deadlines (order_id, kind, ref, due_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (order_id, kind, ref) DO UPDATE SET due_at = excluded.due_at", order_id, kind, ref, due_at)


async def drop_deadlines(conn: Conn, order_id: str, *kinds: str) -> None:
    await conn.execute("DELETE FROM deadlines WHERE order_id = $1 AND kind = ANY($2::text[]) AND ref = ''",
                       order_id, list(kinds))


async def drop_deadline(conn: Conn, order_id: str, kind: str, ref: str = "") -> None:
    await conn.execute("DELETE FROM deadlines WHERE order_id = $1 AND kind = $2 AND ref = $3", order_id, kind, ref)


async def claim_due_deadlines(conn: Conn, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Due deadlines no other replica holds; they stay locked until this transaction ends."""
    return await conn.fetch(
        "SELECT order_id, kind, ref, due_at FROM deadlines WHERE due_at <= $1 "
        "ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)


# --- refunds ----------------------------------------------------------------------------------------

REFUND_COLUMNS = """refund_id, order_id, kind, payment_id, amount_fen, reason, status, previous_status, created_at,
    decided_at, refunded_at, failure_reason, points_fen, freight_fen, closes_order, shipped, with_return,
    requested_by, return_carrier, return_tracking_no, return_received_at, reject_reason, due_at, timeout_reason,
    restocked_on_receipt"""


async def insert_unwanted_payment_refund(conn: Conn, *, refund_id: str, order_id: str, payment_id: str,
                                         amount_fen: int, reason: str, now: datetime) -> bool:
    """False when this payment already has its refund (the same payment reported twice)."""
    inserted = await conn.fetchval(
        """
        INSERT INTO refunds (refund_id, order_id, kind, payment_id, amount_fen, reason, status, created_at,
                             decided_at, closes_order)
        VALUES ($1, $2, 'unwanted_payment', $3, $4, $5, 'approved', $6, $6, false)
        ON CONFLICT (payment_id) WHERE kind = 'unwanted_payment' DO NOTHING RETURNING 1
        """, refund_id, order_id, payment_id, amount_fen, reason, now)
    return bool(inserted)


async def insert_return(conn: Conn, *, refund_id: str, order_id: str, payment_id: str | None,
                        amounts: RefundAmounts, reason: str, status: str, previous_status: str, shipped: bool,
                        with_return: bool, requested_by: str, now: datetime) -> None:
    """A refund asked by the buyer (or made by the merchant), with the units and shares it takes of each line."""
    await conn.execute(
        """
        INSERT INTO refunds (refund_id, order_id, kind, payment_id, amount_fen, points_fen, freight_fen, reason,
                             status, previous_status, closes_order, shipped, with_return, requested_by, created_at,
                             decided_at)
        VALUES ($1, $2, 'return', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                CASE WHEN $8 = 'approved' THEN $14::timestamptz END)
        """, refund_id, order_id, payment_id, amounts.cash_fen, amounts.points_fen, amounts.freight_fen, reason,
        status, previous_status, amounts.closes_order, shipped, with_return, requested_by, now)
    await conn.executemany(
        "INSERT INTO refund_lines (refund_id, order_id, line_no, qty, cash_fen, points_fen) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [(refund_id, order_id, p.line_no, p.qty, p.cash_fen, p.points_fen) for p in amounts.parts])


async def held_by_line(conn: Conn, order_id: str) -> dict[int, Held]:
    """What the order's live refunds (open or refunded) hold of each line; the caller holds the order locked."""
    rows = await conn.fetch(
        """
        SELECT l.line_no, sum(l.qty) AS qty, sum(l.cash_fen) AS cash_fen, sum(l.points_fen) AS points_fen
        FROM refund_lines l JOIN refunds r ON r.refund_id = l.refund_id
        WHERE l.order_id = $1 AND r.status = ANY($2::text[]) GROUP BY l.line_no
        """, order_id, sorted(LIVE_REFUND))
    return {r["line_no"]: Held(int(r["qty"]), int(r["cash_fen"]), int(r["points_fen"])) for r in rows}


async def held_freight(conn: Conn, order_id: str) -> int:
    """The freight the order's live refunds hold (at most one can: the one that took the last units)."""
    return int(await conn.fetchval(
        "SELECT coalesce(sum(freight_fen), 0) FROM refunds WHERE order_id = $1 AND status = ANY($2::text[])",
        order_id, sorted(LIVE_REFUND)))


async def all_units_refunded(conn: Conn, order_id: str) -> bool:
    """Every unit of every line is in a refund that is done."""
    return bool(await conn.fetchval(
        """
        SELECT bool_and(coalesce(done.qty, 0) = o.qty) FROM order_lines o
        LEFT JOIN (SELECT l.line_no, sum(l.qty) AS qty FROM refund_lines l
                   JOIN refunds r ON r.refund_id = l.refund_id
                   WHERE l.order_id = $1 AND r.status = 'refunded' GROUP BY l.line_no) done
               ON done.line_no = o.line_no
        WHERE o.order_id = $1
        """, order_id))


async def count_open_refunds(conn: Conn, order_id: str) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM refunds WHERE order_id = $1 AND kind = 'return' AND status = ANY($2::text[])",
        order_id, sorted(OPEN_REFUND)))


async def closing_refund(conn: Conn, order_id: str) -> asyncpg.Record | None:
    """The latest refund that took the order's last units (it knows where the order was before)."""
    return await conn.fetchrow(
        f"SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = $1 AND kind = 'return' AND closes_order "
        "ORDER BY seq DESC LIMIT 1", order_id)


async def oldest_requested(conn: Conn, order_id: str) -> asyncpg.Record | None:
    """The refund of the order waiting longest for the merchant's answer."""
    return await conn.fetchrow(
        f"SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = $1 AND kind = 'return' AND status = 'requested' "
        "ORDER BY seq LIMIT 1 FOR UPDATE", order_id)


async def lock_refund(conn: Conn, refund_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {REFUND_COLUMNS} FROM refunds WHERE refund_id = $1 FOR UPDATE", refund_id)


async def order_of_refund(conn: Conn, refund_id: str) -> str | None:
    return await conn.fetchval("SELECT order_id FROM refunds WHERE refund_id = $1", refund_id)


async def refund_order_id(conn: Conn, refund_id: str, *, user_id: str | None = None,
                          merchant_id: str | None = None) -> str | None:
    """The order of a refund of this buyer's (or this merchant's) orders; None for anyone else's."""
    return await conn.fetchval(
        "SELECT r.order_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.refund_id = $1 "
        "AND r.kind = 'return' AND ($2::text IS NULL OR o.user_id = $2) "
        "AND ($3::text IS NULL OR o.merchant_id = $3)", refund_id, user_id, merchant_id)


_REFUND_UPDATABLE = frozenset({"status", "decided_at", "refunded_at", "failure_reason", "return_carrier",
                               "return_tracking_no", "return_received_at", "reject_reason", "due_at",
                               "timeout_reason", "restocked_on_receipt"})


async def update_refund(conn: Conn, refund_id: str, **changes: Any) -> None:
    """Set the named columns of a refund (a fixed whitelist, so names never come from outside)."""
    unknown = set(changes) - _REFUND_UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    names = sorted(changes)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE refunds SET {sets} WHERE refund_id = $1", refund_id, *(changes[n] for n in names))


async def set_refund_status(conn: Conn, refund_id: str, status: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE refunds SET status = $2, "
        "decided_at = CASE WHEN $2 IN ('approved', 'rejected', 'awaiting_return') AND decided_at IS NULL "
        "THEN $3 ELSE decided_at END, "
        "refunded_at = CASE WHEN $2 = 'refunded' THEN $3 ELSE refunded_at END WHERE refund_id = $1",
        refund_id, status, now)


async def fail_refund(conn: Conn, refund_id: str, failure_reason: str) -> None:
    await conn.execute("UPDATE refunds SET status = 'failed', failure_reason = $2 WHERE refund_id = $1",
                       refund_id, failure_reason)


async def refunds_of(conn: Conn, order_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
    """The orders' refunds asked by buyers or made by merchants, oldest first."""
    rows = await conn.fetch(
        f"SELECT {REFUND_COLUMNS} FROM refunds WHERE order_id = ANY($1::text[]) AND kind = 'return' "
        "ORDER BY order_id, seq", list(order_ids))
    found: dict[str, list[asyncpg.Record]] = {oid: [] for oid in order_ids}
    for row in rows:
        found[row["order_id"]].append(row)
    return found


async def refund_lines_of(conn: Conn, refund_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT r.refund_id, r.line_no, r.qty, r.cash_fen, r.points_fen, o.id AS line_id, o.sku_id, o.product_id, "
        "o.category_id, o.name, o.unit_price_fen FROM refund_lines r "
        "JOIN order_lines o ON o.order_id = r.order_id AND o.line_no = r.line_no "
        "WHERE r.refund_id = ANY($1::text[]) ORDER BY r.refund_id, r.line_no", list(refund_ids))
    found: dict[str, list[asyncpg.Record]] = {rid: [] for rid in refund_ids}
    for row in rows:
        found[row["refund_id"]].append(row)
    return found


# --- the back office's export ---------------------------------------------------------------------------

EXPORT_PAGE = f"""
SELECT {ORDER_COLUMNS} FROM orders
WHERE merchant_id = $1 AND ($2::text IS NULL OR status = $2)
  AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
  AND ($5::timestamptz IS NULL OR (created_at, id) > ($5, $6))
  AND ($8::text IS NULL OR delivery->>'method' = $8)
ORDER BY created_at, id LIMIT $7
"""


async def export_page(conn: Conn, merchant_id: str, status: str | None, created_from: datetime | None,
                      created_before: datetime | None, delivery_method: str | None,
                      after: tuple[datetime, str] | None, limit: int) -> list[asyncpg.Record]:
    """One page of the merchant's orders, oldest first, after the key (created_at, id) of the last one read."""
    return await conn.fetch(EXPORT_PAGE, merchant_id, status, created_from, created_before,
                            after[0] if after else None, after[1] if after else "", limit, delivery_method)


# --- member prices ----------------------------------------------------------------------------------


async def set_member_level(conn: Conn, user_id: str, merchant_id: str, level: int, at: datetime) -> None:
    """Events may come late or twice: only a newer change moves the copy."""
    await conn.execute(
        "INSERT INTO member_levels (user_id, merchant_id, level, changed_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id, merchant_id) DO UPDATE SET level = EXCLUDED.level, changed_at = EXCLUDED.changed_at "
        "WHERE member_levels.changed_at < EXCLUDED.changed_at", user_id, merchant_id, level, at)


async def member_rules(conn: Conn, merchant_id: str, max_level: int | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM member_prices WHERE merchant_id = $1 AND ($2::int IS NULL OR level <= $2) "
        "ORDER BY level, sku_id NULLS LAST, category_id, id", merchant_id, max_level)


async def buyer_member_rules(conn: Conn, user_id: str, merchant_id: str) -> tuple[int, list[asyncpg.Record]]:
    """The buyer's level at the merchant and the rules it reaches, in one read; (1, []) below level 2, where
    no rule applies."""
    rows = await conn.fetch(
        "SELECT l.level AS buyer_level, r.* FROM member_levels l "
        "JOIN member_prices r ON r.merchant_id = l.merchant_id AND r.level <= l.level "
        "WHERE l.user_id = $1 AND l.merchant_id = $2 AND l.level > 1 "
        "ORDER BY r.level, r.sku_id NULLS LAST, r.category_id, r.id", user_id, merchant_id)
    return (int(rows[0]["buyer_level"]) if rows else 1), rows


async def upsert_member_rule(conn: Conn, rule_id: str, merchant_id: str, sku_id: str | None,
                             category_id: str | None, level: int, percent_off: int | None,
                             price_fen: int | None, now: datetime) -> asyncpg.Record:
    """One rule per target and level: setting it again replaces it (keeping its id)."""
    row = await conn.fetchrow(
        "INSERT INTO member_prices (id, merchant_id, sku_id, category_id, level, percent_off, price_fen, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (merchant_id, coalesce(sku_id, ''), coalesce(category_id, ''), level) DO UPDATE "
        "SET percent_off = EXCLUDED.percent_off, price_fen = EXCLUDED.price_fen, updated_at = EXCLUDED.updated_at "
        "RETURNING *", rule_id, merchant_id, sku_id, category_id, level, percent_off, price_fen, now)
    assert row is not None
    return row


async def delete_member_rule(conn: Conn, merchant_id: str, rule_id: str) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM member_prices WHERE id = $1 AND merchant_id = $2 RETURNING true", rule_id, merchant_id))


async def sku_merchant(conn: Conn, sku_id: str) -> str | None:
    return await conn.fetchval("SELECT merchant_id FROM skus WHERE sku_id = $1", sku_id)


EXPORT_COUNT = """
SELECT count(*) FROM orders
WHERE merchant_id = $1 AND ($2::text IS NULL OR status = $2)
  AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
  AND ($5::text IS NULL OR delivery->>'method' = $5)
"""


async def export_count(conn: Conn, merchant_id: str, status: str | None, created_from: datetime | None,
                       created_before: datetime | None, delivery_method: str | None) -> int:
    """How many orders an export will have (told up front, so the back office can show its progress)."""
    return int(await conn.fetchval(EXPORT_COUNT, merchant_id, status, created_from, created_before, delivery_method))
