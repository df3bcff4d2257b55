"""All SQL of the analytics service: fact upserts (one per event) and the metric queries.

Writes are keyed by the fact's natural key: a replayed fact under a new event id changes nothing
(`DO NOTHING`), except orders, whose row is assembled from several events arriving in any order.
Reads take ($1 merchant, $2 first day, $3 last day) and return small aggregates; domain.py does the math.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from shared.db import Database

# --- facts --------------------------------------------------------------------------------------------


# An event's event_log row: (event_id, event_type, occurred_at, merchant_id, data).
LogRow = tuple[Any, str, datetime, str | None, dict[str, Any]]

LOG_EVENT = ("INSERT INTO event_log (event_id, event_type, occurred_at, merchant_id, data) "
             "VALUES (${}, ${}, ${}, ${}, ${}) ON CONFLICT (event_id) DO NOTHING")


async def log_event(conn: asyncpg.Connection, log: LogRow) -> None:
    """The event_log row of an event that feeds no fact."""
    await conn.execute(LOG_EVENT.format(1, 2, 3, 4, 5), *log)


async def _execute(conn: asyncpg.Connection, log: LogRow | None, query: str, *args: Any) -> str:
    """A fact's statement that, given `log`, also writes its event's event_log row (a data-modifying WITH, the
    row's values numbered after the fact's own): one round trip per event instead of two."""
    if log is not None:
        n = len(args)
        query, args = f"WITH logged AS ({LOG_EVENT.format(*range(n + 1, n + 6))}) {query}", (*args, *log)
    return str(await conn.execute(query, *args))


async def upsert_order_placed(conn: asyncpg.Connection, *, order_id: str, merchant_id: str, user_id: str,
                              entry: str, subtotal_fen: int, coupon_id: str | None, day: date,
                              log: LogRow | None = None) -> None:
    await _execute(conn, log,
        """INSERT INTO orders (order_id, merchant_id, user_id, entry, subtotal_fen, coupon_id, placed_day)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (order_id) DO UPDATE SET entry = EXCLUDED.entry, subtotal_fen = EXCLUDED.subtotal_fen,
               coupon_id = EXCLUDED.coupon_id, placed_day = EXCLUDED.placed_day""",
        order_id, merchant_id, user_id, entry, subtotal_fen, coupon_id, day)


async def add_order_line(conn: asyncpg.Connection, *, order_id: str, sku_id: str, merchant_id: str,
                         product_id: str, name: str, qty: int, unit_price_fen: int,
                         list_price_fen: int | None = None) -> None:
    await conn.execute(
        """INSERT INTO order_lines (order_id, sku_id, merchant_id, product_id, name, qty, unit_price_fen,
                                    list_price_fen)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, sku_id) DO NOTHING""",
        order_id, sku_id, merchant_id, product_id, name, qty, unit_price_fen, list_price_fen)


async def add_review(conn: asyncpg.Connection, *, review_id: str, merchant_id: str, product_id: str, rating: int,
                     with_images: bool, day: date, log: LogRow | None = None) -> None:
    await _execute(conn, log,
        "INSERT INTO reviews (review_id, merchant_id, product_id, rating, with_images, day) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (review_id) DO NOTHING",
        review_id, merchant_id, product_id, rating, with_images, day)


async def set_review_visibility(conn: asyncpg.Connection, *, review_id: str, hidden: bool, revision: int,
                                log: LogRow | None = None) -> None:
    """Keeps the highest revision: an older change arriving late changes nothing."""
    await _execute(conn, log,
        "INSERT INTO review_visibility (review_id, hidden, revision) VALUES ($1, $2, $3) "
        "ON CONFLICT (review_id) DO UPDATE SET hidden = EXCLUDED.hidden, revision = EXCLUDED.revision "
        "WHERE review_visibility.revision < EXCLUDED.revision",
        review_id, hidden, revision)


async def upsert_order_confirmed(conn: asyncpg.Connection, *, order_id: str, merchant_id: str, user_id: str,
                                 entry: str, subtotal_fen: int, discount_fen: int, points_fen: int,
                                 payable_fen: int, log: LogRow | None = None) -> None:
    # order.placed knows the entry first-hand; confirmed only fills it when placed has not arrived yet.
    await _execute(conn, log,
        """INSERT INTO orders (order_id, merchant_id, user_id, entry, subtotal_fen, discount_fen, points_fen,
                               payable_fen)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (order_id) DO UPDATE SET discount_fen = EXCLUDED.discount_fen,
               points_fen = EXCLUDED.points_fen, payable_fen = EXCLUDED.payable_fen,
               entry = COALESCE(orders.entry, EXCLUDED.entry),
               subtotal_fen = COALESCE(orders.subtotal_fen, EXCLUDED.subtotal_fen)""",
        order_id, merchant_id, user_id, entry, subtotal_fen, discount_fen, points_fen, payable_fen)


async def mark_order_cancelled(conn: asyncpg.Connection, *, order_id: str, merchant_id: str, user_id: str,
                               day: date, log: LogRow | None = None) -> None:
    await _execute(conn, log,
        """INSERT INTO orders (order_id, merchant_id, user_id, cancelled_day) VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id) DO UPDATE
               SET cancelled_day = COALESCE(orders.cancelled_day, EXCLUDED.cancelled_day)""",
        order_id, merchant_id, user_id, day)


async def lock_payment_facts(conn: asyncpg.Connection, payment_id: str) -> None:
    """A payment and its unwanted refund may be handled at the same moment (in either order): one waits for
    the other, so the flag is never lost between two uncommitted transactions."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('analytics.payment'), hashtext($1))", payment_id)


async def add_payment(conn: asyncpg.Connection, *, payment_id: str, order_id: str, merchant_id: str,
                      user_id: str, method: str, installments: int | None, amount_fen: int,
                      occurred_at: datetime, day: date, log: LogRow | None = None) -> None:
    # Its unwanted refund may have come first: the payment is born unwanted then.
    await _execute(conn, log,
        """INSERT INTO payments (payment_id, order_id, merchant_id, user_id, method, installments, amount_fen,
                                 occurred_at, day, unwanted)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                   EXISTS (SELECT 1 FROM refunds WHERE payment_id = $1 AND unwanted))
           ON CONFLICT (payment_id) DO NOTHING""",
        payment_id, order_id, merchant_id, user_id, method, installments, amount_fen, occurred_at, day)


async def add_refund(conn: asyncpg.Connection, *, refund_id: str, payment_id: str, order_id: str,
                     merchant_id: str, amount_fen: int, day: date, unwanted: bool,
                     log: LogRow | None = None) -> None:
    await _execute(conn, log,
        """INSERT INTO refunds (refund_id, payment_id, order_id, merchant_id, amount_fen, day, unwanted)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (refund_id) DO NOTHING""",
        refund_id, payment_id, order_id, merchant_id, amount_fen, day, unwanted)


async def mark_payment_unwanted(conn: asyncpg.Connection, payment_id: str) -> None:
    await conn.execute("UPDATE payments SET unwanted = true WHERE payment_id = $1", payment_id)


async def add_coupon_claim(conn: asyncpg.Connection, *, coupon_id: str, merchant_id: str | None, user_id: str,
                           template_id: str, campaign_id: str, day: date, log: LogRow | None = None) -> None:
    await _execute(conn, log,
        """INSERT INTO coupon_claims (coupon_id, merchant_id, user_id, template_id, campaign_id, day)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (coupon_id) DO NOTHING""",
        coupon_id, merchant_id, user_id, template_id, campaign_id, day)


async def add_coupon_redemption(conn: asyncpg.Connection, *, coupon_id: str, merchant_id: str | None,
                                order_id: str, discount_fen: int, day: date, log: LogRow | None = None) -> None:
    """A redemption, unless its order already gave the coupon back (coupon.released overtook it): then the
    return learns what it takes off the marketing cost."""
    returned = await _execute(conn, log,
        "UPDATE coupon_returns SET discount_fen = $3 WHERE coupon_id = $1 AND order_id = $2",
        coupon_id, order_id, discount_fen)
    if returned != "UPDATE 0":
        return
    await conn.execute(
        """INSERT INTO coupon_redemptions (coupon_id, merchant_id, order_id, discount_fen, day)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (coupon_id) DO NOTHING""",
        coupon_id, merchant_id, order_id, discount_fen, day)


async def add_coupon_return(conn: asyncpg.Connection, *, coupon_id: str, order_id: str,
                            log: LogRow | None = None) -> None:
    """The coupon went back to the buyer: its redemption by this order leaves the counts (the coupon may be
    redeemed again by another order), and its discount leaves the marketing cost."""
    discount_fen = await conn.fetchval(
        "DELETE FROM coupon_redemptions WHERE coupon_id = $1 AND order_id = $2 RETURNING discount_fen",
        coupon_id, order_id)
    await _execute(conn, log,
        "INSERT INTO coupon_returns (coupon_id, order_id, discount_fen) VALUES ($1, $2, $3) "
        "ON CONFLICT (coupon_id, order_id) DO UPDATE SET discount_fen = "
        "COALESCE(coupon_returns.discount_fen, EXCLUDED.discount_fen)", coupon_id, order_id, discount_fen)


async def add_visit(conn: asyncpg.Connection, *, user_id: str, day: date, entry: str,
                    merchant_id: str | None, log: LogRow | None = None) -> None:
    await _execute(conn, log,
        "INSERT INTO visits (user_id, day, entry, merchant_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        user_id, day, entry, merchant_id or "")


# --- metric reads ---------------------------------------------------------------------------------------

PAID_BY_DAY_METHOD = """
SELECT day, method, sum(amount_fen)::bigint AS paid_fen
FROM payments WHERE merchant_id = $1 AND NOT unwanted AND day BETWEEN $2 AND $3 GROUP BY day, method"""

# An order counts once, on the day and with the method of its first confirmed payment; an unwanted payment
# (refunded because the order never kept it) bought nothing and is not a payment of any figure.
# IS_FIRST (on payments `p`): no earlier payment of its order. Asked only of the payments in range (an index
# probe each), so a range costs its own payments, not the merchant's whole history.
IS_FIRST = """NOT EXISTS (
    SELECT 1 FROM payments e WHERE e.order_id = p.order_id AND NOT e.unwanted
        AND (e.occurred_at, e.payment_id) < (p.occurred_at, p.payment_id))"""

# The orders whose first payment is in range, with its day and method.
FIRST_PAYMENTS = f"""
WITH first AS (
    SELECT p.order_id, p.day, p.method, p.payment_id FROM payments p
    WHERE p.merchant_id = $1 AND NOT p.unwanted AND p.day BETWEEN $2 AND $3 AND {IS_FIRST})"""

ORDERS_BY_DAY_METHOD = FIRST_PAYMENTS + """
SELECT day, method, count(*) AS orders FROM first GROUP BY day, method"""

REFUNDS_BY_DAY_METHOD = """
SELECT r.day, COALESCE(p.method, 'unknown') AS method, sum(r.amount_fen)::bigint AS refunded_fen
FROM refunds r LEFT JOIN payments p ON p.payment_id = r.payment_id
WHERE r.merchant_id = $1 AND NOT r.unwanted AND r.day BETWEEN $2 AND $3
GROUP BY r.day, COALESCE(p.method, 'unknown')"""

# A coupon given back by a wholly refunded order costs nothing: its discount comes off.
MARKETING_COST = FIRST_PAYMENTS + """
SELECT COALESCE(sum(o.discount_fen - COALESCE(x.discount_fen, 0)), 0)::bigint AS discount_fen,
       COALESCE(sum(o.points_fen), 0)::bigint AS points_fen
FROM first f JOIN orders o ON o.order_id = f.order_id
LEFT JOIN LATERAL (SELECT sum(discount_fen) AS discount_fen FROM coupon_returns r WHERE r.order_id = o.order_id) x
       ON true"""

PAID_ORDERS_BY_ENTRY = FIRST_PAYMENTS + """
SELECT COALESCE(o.entry, 'other') AS entry, count(*) AS orders
FROM first f LEFT JOIN orders o ON o.order_id = f.order_id
GROUP BY COALESCE(o.entry, 'other')"""

# A visit without a merchant is a visit to the mall, and the mall's audience is every shop's audience.
VISITORS_BY_ENTRY = """
SELECT entry, count(DISTINCT user_id) AS visitors FROM visits
WHERE merchant_id IN ($1, '') AND day BETWEEN $2 AND $3 GROUP BY entry"""

RETENTION = """
WITH v AS (SELECT DISTINCT user_id, day FROM visits WHERE merchant_id IN ($1, '')),
     first AS (SELECT user_id, min(day) AS cohort_day FROM v GROUP BY user_id)
SELECT f.cohort_day, count(*) AS users,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM v WHERE v.user_id = f.user_id AND v.day = f.cohort_day + 7)) AS retained
FROM first f WHERE f.cohort_day BETWEEN $2 AND $3 GROUP BY f.cohort_day"""

# Coupons claimed in the range, and which of them were redeemed (whenever): a rate that never passes 1.
COUPONS = """
SELECT count(*) AS claimed, count(r.coupon_id) AS redeemed
FROM coupon_claims c LEFT JOIN coupon_redemptions r ON r.coupon_id = c.coupon_id
WHERE COALESCE(c.merchant_id, r.merchant_id) = $1 AND c.day BETWEEN $2 AND $3"""

# A product's sales are its share of GMV: every payment and every refund in range (the same rows as GMV) is
# split over its order's lines in proportion to their list value (qty x unit price), in whole fen, the last
# line taking the remainder, so the products' sales add up to GMV. Quantity and orders count the lines of
# the orders whose first payment is in range (as the order count does).
TOP_PRODUCTS = f"""
WITH money AS (
    SELECT p.payment_id AS ref, p.order_id, p.amount_fen AS amount, 1 AS sign, {IS_FIRST} AS sold
    FROM payments p
    WHERE p.merchant_id = $1 AND NOT p.unwanted AND p.day BETWEEN $2 AND $3
    UNION ALL
    SELECT refund_id, order_id, amount_fen, -1, false FROM refunds
    WHERE merchant_id = $1 AND NOT unwanted AND day BETWEEN $2 AND $3),
lines AS (
    SELECT order_id, product_id, name, qty, qty::bigint * unit_price_fen AS list_fen,
           (sum(qty * unit_price_fen) OVER (PARTITION BY order_id))::bigint AS order_list_fen,
           row_number() OVER (PARTITION BY order_id ORDER BY sku_id) AS rn,
           count(*) OVER (PARTITION BY order_id) AS n
    FROM order_lines WHERE merchant_id = $1 AND order_id IN (SELECT order_id FROM money)),
parts AS (
    SELECT m.ref, m.sign, m.sold, m.amount, l.order_id, l.product_id, l.name, l.qty, l.rn, l.n,
           CASE WHEN l.order_list_fen > 0 THEN m.amount * l.list_fen / l.order_list_fen ELSE 0 END AS part
    FROM money m JOIN lines l ON l.order_id = m.order_id),
shares AS (
    SELECT *, sign * CASE WHEN rn = n THEN amount - (sum(part) OVER (PARTITION BY sign, ref) - part) ELSE part END
           AS share
    FROM parts)
SELECT product_id, max(name) AS name, COALESCE(sum(qty) FILTER (WHERE sold), 0)::bigint AS qty,
       sum(share)::bigint AS sales_fen, count(DISTINCT order_id) FILTER (WHERE sold) AS orders
FROM shares GROUP BY product_id ORDER BY sales_fen DESC, qty DESC, product_id LIMIT $4"""


async def _rows(db: Database, query: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await db.fetch(query, *args)]


async def paid_by_day_method(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, PAID_BY_DAY_METHOD, merchant_id, first, last)


async def orders_by_day_method(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, ORDERS_BY_DAY_METHOD, merchant_id, first, last)


async def refunds_by_day_method(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, REFUNDS_BY_DAY_METHOD, merchant_id, first, last)


async def marketing_cost(db: Database, merchant_id: str, first: date, last: date) -> dict[str, Any]:
    return (await _rows(db, MARKETING_COST, merchant_id, first, last))[0]


async def paid_orders_by_entry(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, PAID_ORDERS_BY_ENTRY, merchant_id, first, last)


async def visitors_by_entry(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, VISITORS_BY_ENTRY, merchant_id, first, last)


async def retention(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, RETENTION, merchant_id, first, last)


async def coupons(db: Database, merchant_id: str, first: date, last: date) -> dict[str, Any]:
    return (await _rows(db, COUPONS, merchant_id, first, last))[0]


GROUP_BUYS = """
SELECT count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded, count(*) FILTER (WHERE outcome = 'failed') AS failed
FROM group_buy_outcomes WHERE merchant_id = $1 AND day BETWEEN $2 AND $3"""


async def group_buys(db: Database, merchant_id: str, first: date, last: date) -> dict[str, Any]:
    return (await _rows(db, GROUP_BUYS, merchant_id, first, last))[0]


async def add_group_buy_outcome(conn: asyncpg.Connection, *, group_id: str, merchant_id: str, deal_id: str,
                                outcome: str, members: int, day: date, log: LogRow | None = None) -> None:
    """A group ends once: a replay of its event under a new id changes nothing."""
    await _execute(conn, log,
        """INSERT INTO group_buy_outcomes (group_id, merchant_id, deal_id, outcome, members, day)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (group_id) DO NOTHING""",
        group_id, merchant_id, deal_id, outcome, members, day)


async def top_products(db: Database, merchant_id: str, first: date, last: date,
                       limit: int) -> list[dict[str, Any]]:
    return await _rows(db, TOP_PRODUCTS, merchant_id, first, last, limit)


# --- fulfilment ----------------------------------------------------------------------------------------------

# The moments of a delivery, each a pair of columns (<stage>_at, <stage>_day); names never come from outside.
STAGES = ("paid", "shipped", "delivered", "picked_up")


async def set_delivery_method(conn: asyncpg.Connection, *, order_id: str, merchant_id: str, method: str,
                              store_id: str | None) -> None:
    await conn.execute(
        """INSERT INTO fulfilment (order_id, merchant_id, method, store_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id) DO UPDATE SET method = EXCLUDED.method, store_id = EXCLUDED.store_id""",
        order_id, merchant_id, method, store_id)


async def set_fulfilment_moment(conn: asyncpg.Connection, *, order_id: str, merchant_id: str, stage: str,
                                at: datetime, day: date, log: LogRow | None = None) -> None:
    """The first report of a moment wins (a replay under a new event id changes nothing)."""
    assert stage in STAGES
    await _execute(conn, log,
        f"""INSERT INTO fulfilment (order_id, merchant_id, {stage}_at, {stage}_day) VALUES ($1, $2, $3, $4)
            ON CONFLICT (order_id) DO UPDATE SET {stage}_at = COALESCE(fulfilment.{stage}_at, EXCLUDED.{stage}_at),
                {stage}_day = COALESCE(fulfilment.{stage}_day, EXCLUDED.{stage}_day)""",
        order_id, merchant_id, at, day)


async def time_from_paid(db: Database, merchant_id: str, first: date, last: date,
                         stage: str) -> list[dict[str, Any]]:
    """Per day of `stage` in range, and once for the whole range (day NULL): how many orders reached it and
    the median and 90th percentile of their seconds since payment. Only delivery orders with both moments."""
    assert stage in STAGES[1:]
    return await _rows(db,
        f"""SELECT {stage}_day AS day, count(*) AS orders,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median_s,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90_s
            FROM (SELECT {stage}_day, extract(epoch FROM {stage}_at - paid_at) AS secs FROM fulfilment
                  WHERE merchant_id = $1 AND {stage}_day BETWEEN $2 AND $3 AND paid_at IS NOT NULL) AS t
            GROUP BY GROUPING SETS (({stage}_day), ())""",
        merchant_id, first, last)


async def paid_by_delivery(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    """Orders with a delivery paid in range, by method and pickup store."""
    return await _rows(db,
        """SELECT method, store_id, count(*) AS orders FROM fulfilment
           WHERE merchant_id = $1 AND paid_day BETWEEN $2 AND $3 AND method IS NOT NULL
           GROUP BY method, store_id""", merchant_id, first, last)


REVIEWS_BY_DAY = """
SELECT day, rating, count(*) AS reviews, count(*) FILTER (WHERE with_images) AS with_images
FROM reviews r WHERE merchant_id = $1 AND day BETWEEN $2 AND $3
  AND NOT EXISTS (SELECT 1 FROM review_visibility v WHERE v.review_id = r.review_id AND v.hidden)
GROUP BY day, rating"""

# Of the orders whose first payment is in range (as the order count), those with a member-priced line, and
# what member prices took off their lines' list prices.
MEMBER_PRICES = FIRST_PAYMENTS + """,
member AS (
    SELECT order_id, sum(qty::bigint * (list_price_fen - unit_price_fen)) AS saving_fen FROM order_lines
    WHERE merchant_id = $1 AND list_price_fen > unit_price_fen AND order_id IN (SELECT order_id FROM first)
    GROUP BY order_id)
SELECT count(*) AS orders, count(m.order_id) AS member_orders, COALESCE(sum(m.saving_fen), 0)::bigint AS saving_fen
FROM first f LEFT JOIN member m ON m.order_id = f.order_id"""


async def reviews_by_day(db: Database, merchant_id: str, first: date, last: date) -> list[dict[str, Any]]:
    return await _rows(db, REVIEWS_BY_DAY, merchant_id, first, last)


async def member_prices(db: Database, merchant_id: str, first: date, last: date) -> dict[str, Any]:
    return (await _rows(db, MEMBER_PRICES, merchant_id, first, last))[0]
