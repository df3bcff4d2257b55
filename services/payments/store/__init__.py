"""All SQL of payments (asyncpg, parameters only), one function per statement."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Database

Conn = asyncpg.Connection
Row = asyncpg.Record

# --- orders (a copy of order.confirmed) --------------------------------------------------------------


async def save_payable_order(conn: Conn, *, order_id: str, user_id: str, merchant_id: str, subject: str,
                             payable_fen: int, deposit_fen: int, pay_by: datetime) -> bool:
    """False when the order was known already (a redelivery, or cancelled before it was confirmed)."""
    return bool(await conn.fetchval(
        "INSERT INTO payable_orders (order_id, user_id, merchant_id, subject, payable_fen, deposit_fen, pay_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING RETURNING true",
        order_id, user_id, merchant_id, subject, payable_fen, deposit_fen, pay_by))


async def cancel_order(conn: Conn, *, order_id: str, user_id: str, merchant_id: str) -> None:
    """Mark not payable; an order cancelled before its confirmation arrived leaves a tombstone, so a late
    order.confirmed does not make it payable again."""
    await conn.execute(
        "INSERT INTO payable_orders (order_id, user_id, merchant_id, subject, payable_fen, pay_by, status) "
        "VALUES ($1, $2, $3, '', 0, now(), 'cancelled') "
        "ON CONFLICT (order_id) DO UPDATE SET status = 'cancelled', updated_at = now()",
        order_id, user_id, merchant_id)


async def payable_order(db: Conn | Database, order_id: str) -> Row | None:
    return await db.fetchrow("SELECT * FROM payable_orders WHERE order_id = $1", order_id)


async def lock_order(conn: Conn, order_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM payable_orders WHERE order_id = $1 FOR UPDATE", order_id)


async def order_known(db: Database, order_id: str) -> bool:
    """Whether order.confirmed (or order.cancelled) has told us about the order."""
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM payable_orders WHERE order_id = $1)", order_id))


async def mark_order_paid(conn: Conn, order_id: str) -> None:
    await conn.execute("UPDATE payable_orders SET status = 'paid', updated_at = now() WHERE order_id = $1", order_id)


# --- payments ----------------------------------------------------------------------------------------


async def insert_payment(conn: Conn, **fields: Any) -> Row:
    """The new payment's row, as `lock_payment` would read it in the same transaction."""
    columns = ", ".join(fields)
    marks = ", ".join(f"${i}" for i in range(1, len(fields) + 1))
    row = await conn.fetchrow(f"INSERT INTO payments ({columns}) VALUES ({marks}) RETURNING *",  # noqa: S608
                              *fields.values())
    assert row is not None
    return row


async def lock_payment(conn: Conn, payment_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM payments WHERE id = $1 FOR UPDATE", payment_id)


async def pending_payments(conn: Conn, order_id: str) -> list[Row]:
    return await conn.fetch("SELECT * FROM payments WHERE order_id = $1 AND status = 'pending' "
                            "ORDER BY created_at DESC FOR UPDATE", order_id)


async def refundable_payment(conn: Conn, order_id: str, amount_fen: int) -> Row | None:
    """The latest succeeded payment of the order that can still give back `amount_fen`. An order normally has
    one; after a duplicate or late payment, orders refunds the newer one first (order.refund_approved names
    the order, not the payment)."""
    return await conn.fetchrow(
        "SELECT * FROM payments WHERE order_id = $1 AND status = 'succeeded' "
        "ORDER BY (amount_fen - refunded_fen >= $2) DESC, paid_at DESC LIMIT 1 FOR UPDATE", order_id, amount_fen)


async def set_payment_status(conn: Conn, payment_id: str, status: str, *, reason: str | None = None,
                             paid: bool = False, trade_no: str | None = None) -> None:
    await conn.execute(
        "UPDATE payments SET status = $2, fail_reason = COALESCE($3, fail_reason), "
        "paid_at = CASE WHEN $4 THEN now() ELSE paid_at END, trade_no = COALESCE($5, trade_no), "
        "updated_at = now() WHERE id = $1", payment_id, status, reason, paid, trade_no)


async def add_refunded(conn: Conn, payment_id: str, amount_fen: int) -> int | None:
    """Cumulative refunds never pass the amount paid: the condition is checked under the row lock."""
    return await conn.fetchval(
        "UPDATE payments SET refunded_fen = refunded_fen + $2, updated_at = now() "
        "WHERE id = $1 AND refunded_fen + $2 <= amount_fen RETURNING refunded_fen", payment_id, amount_fen)


async def order_payment_state(db: Conn | Database, order_id: str) -> Row | None:
    """In one read, the payable order (`order_user_id`, `order_status`) and its latest payment (the rest of the
    columns, NULL without one); None when the order is unknown."""
    return await db.fetchrow(
        "SELECT o.user_id AS order_user_id, o.status AS order_status, p.* FROM payable_orders o "
        "LEFT JOIN LATERAL (SELECT * FROM payments WHERE order_id = o.order_id ORDER BY created_at DESC LIMIT 1) p "
        "ON true WHERE o.order_id = $1", order_id)


async def payment_of_user(db: Database, payment_id: str, user_id: str) -> Row | None:
    return await db.fetchrow("SELECT * FROM payments WHERE id = $1 AND user_id = $2", payment_id, user_id)


# --- Huabei offers (the merchant's 花呗分期 settings) ---------------------------------------------------------


async def huabei_offers(db: Conn | Database, merchant_id: str) -> list[Row]:
    """[] when the merchant never chose (the mall's default applies); one row of NULLs when it chose none."""
    return await db.fetch(
        "SELECT o.installments, o.fee_payer, o.min_amount_fen, s.updated_at FROM huabei_settings s "
        "LEFT JOIN huabei_offers o USING (merchant_id) WHERE s.merchant_id = $1 ORDER BY o.installments",
        merchant_id)


async def lock_huabei_settings(conn: Conn, merchant_id: str) -> datetime:
    """Create or touch the merchant's settings row; the row lock serialises concurrent replacements."""
    return await conn.fetchval(
        "INSERT INTO huabei_settings (merchant_id) VALUES ($1) "
        "ON CONFLICT (merchant_id) DO UPDATE SET updated_at = now() RETURNING updated_at", merchant_id)


async def delete_huabei_offers(conn: Conn, merchant_id: str) -> None:
    await conn.execute("DELETE FROM huabei_offers WHERE merchant_id = $1", merchant_id)


async def delete_huabei_settings(conn: Conn, merchant_id: str) -> None:
    await conn.execute("DELETE FROM huabei_settings WHERE merchant_id = $1", merchant_id)  # offers cascade


async def insert_huabei_offers(conn: Conn, merchant_id: str, offers: list[tuple[int, str, int]]) -> None:
    """`offers`: (installments, fee_payer, min_amount_fen) rows."""
    await conn.execute(
        "INSERT INTO huabei_offers (merchant_id, installments, fee_payer, min_amount_fen) "
        "SELECT $1, * FROM unnest($2::int[], $3::text[], $4::bigint[])",
        merchant_id, [o[0] for o in offers], [o[1] for o in offers], [o[2] for o in offers])


# --- Alipay trades and notifies ----------------------------------------------------------------------


async def insert_trade(conn: Conn, *, out_trade_no: str, purpose: str, ref_id: str, user_id: str,
                       amount_fen: int, trade_no: str | None = None) -> None:
    await conn.execute("INSERT INTO alipay_trades (out_trade_no, purpose, ref_id, user_id, amount_fen, trade_no) "
                       "VALUES ($1, $2, $3, $4, $5, $6)", out_trade_no, purpose, ref_id, user_id, amount_fen, trade_no)


async def set_trade_no(conn: Conn, out_trade_no: str, trade_no: str) -> None:
    await conn.execute("UPDATE alipay_trades SET trade_no = $2 WHERE out_trade_no = $1", out_trade_no, trade_no)


async def lock_trade(conn: Conn, out_trade_no: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM alipay_trades WHERE out_trade_no = $1 FOR UPDATE", out_trade_no)


async def set_trade_status(conn: Conn, out_trade_no: str, status: str, *, trade_no: str | None,
                           fund_channel: str | None, paid: bool) -> None:
    await conn.execute(
        "UPDATE alipay_trades SET status = $2, trade_no = COALESCE($3, trade_no), "
        "fund_channel = COALESCE($4, fund_channel), paid_at = CASE WHEN $5 THEN now() ELSE paid_at END "
        "WHERE out_trade_no = $1", out_trade_no, status, trade_no, fund_channel, paid)


async def claim_waiting_trades(conn: Conn, after_s: float, limit: int) -> list[str]:
    """Trades still waiting after a while, each checked at most once per `after_s` by any replica."""
    rows = await conn.fetch(
        "UPDATE alipay_trades SET checked_at = now() WHERE out_trade_no IN ("
        "  SELECT out_trade_no FROM alipay_trades WHERE status = 'WAIT_BUYER_PAY'"
        "  AND created_at < now() - make_interval(secs => $1)"
        "  AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $1))"
        "  ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING out_trade_no", after_s, limit)
    return [r["out_trade_no"] for r in rows]


async def claim_trade_checks(db: Conn | Database, order_id: str, every_s: float) -> list[str]:
    """The open trades of an order's pending payments not checked in the last `every_s` seconds, marked as
    checked now: concurrent checks of one order query Alipay once (the second waits on the row, then sees
    the new checked_at)."""
    rows = await db.fetch(
        "UPDATE alipay_trades t SET checked_at = now() FROM payments p "
        "WHERE p.order_id = $1 AND p.status = 'pending' AND t.out_trade_no = p.out_trade_no "
        "AND t.status = 'WAIT_BUYER_PAY' "
        "AND (t.checked_at IS NULL OR t.checked_at < now() - make_interval(secs => $2)) "
        "RETURNING t.out_trade_no", order_id, every_s)
    return [r["out_trade_no"] for r in rows]


async def record_notify(conn: Conn, *, notify_id: str, trade_status: str, out_trade_no: str,
                        params: dict[str, str]) -> bool:
    """False when this notify (same id and status) was applied before: Alipay is retrying."""
    return bool(await conn.fetchval(
        "INSERT INTO alipay_notifies (notify_id, trade_status, out_trade_no, params) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (notify_id, trade_status) DO NOTHING RETURNING true",
        notify_id, trade_status, out_trade_no, params))


# --- stored value and its ledger -------------------------------------------------------------------------


async def debit_balance(conn: Conn, user_id: str, amount_fen: int) -> int | None:
    """The new balance, or None when it would go below zero. One conditional UPDATE: concurrent debits
    queue on the row lock and each re-checks the condition against the committed balance."""
    return await conn.fetchval(
        "UPDATE balance_accounts SET balance_fen = balance_fen - $2, updated_at = now() "
        "WHERE user_id = $1 AND balance_fen >= $2 RETURNING balance_fen", user_id, amount_fen)


async def credit_balance(conn: Conn, user_id: str, amount_fen: int) -> int:
    return await conn.fetchval(
        "INSERT INTO balance_accounts (user_id, balance_fen) VALUES ($1, $2) ON CONFLICT (user_id) "
        "DO UPDATE SET balance_fen = balance_accounts.balance_fen + $2, updated_at = now() RETURNING balance_fen",
        user_id, amount_fen)


async def insert_movement(conn: Conn, rows: list[tuple[str, int]], *, kind: str, ref: str) -> None:
    movement_id = uuid.uuid4()
    await conn.executemany(
        "INSERT INTO ledger_entries (movement_id, account, amount_fen, kind, ref) VALUES ($1, $2, $3, $4, $5)",
        [(movement_id, account, amount, kind, ref) for account, amount in rows])


async def balance_of(db: Database, user_id: str) -> int:
    return await db.fetchval("SELECT balance_fen FROM balance_accounts WHERE user_id = $1", user_id) or 0


async def ledger_of(db: Database, account: str, limit: int) -> list[Row]:
    return await db.fetch("SELECT amount_fen, kind, ref, created_at FROM ledger_entries WHERE account = $1 "
                          "ORDER BY id DESC LIMIT $2", account, limit)


# --- top-ups -----------------------------------------------------------------------------------------------


async def insert_top_up(conn: Conn, *, top_up_id: str, user_id: str, amount_fen: int, bonus_fen: int,
                        out_trade_no: str) -> None:
    await conn.execute("INSERT INTO top_ups (id, user_id, amount_fen, bonus_fen, out_trade_no) "
                       "VALUES ($1, $2, $3, $4, $5)", top_up_id, user_id, amount_fen, bonus_fen, out_trade_no)


async def lock_top_up(conn: Conn, top_up_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM top_ups WHERE id = $1 FOR UPDATE", top_up_id)


async def set_top_up_status(conn: Conn, top_up_id: str, status: str, trade_no: str | None = None) -> None:
    await conn.execute(
        "UPDATE top_ups SET status = $2, trade_no = COALESCE($3, trade_no), "
        "credited_at = CASE WHEN $2 = 'credited' THEN now() ELSE credited_at END WHERE id = $1",
        top_up_id, status, trade_no)


# --- refunds, deposits, pay-later bills --------------------------------------------------------------------


async def find_refund(conn: Conn, refund_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM refunds WHERE refund_id = $1", refund_id)


async def insert_refund(conn: Conn, *, refund_id: str, payment_id: str | None, order_id: str, amount_fen: int,
                        status: str, reason: str) -> None:
    await conn.execute("INSERT INTO refunds (refund_id, payment_id, order_id, amount_fen, status, reason) "
                       "VALUES ($1, $2, $3, $4, $5, $6)", refund_id, payment_id, order_id, amount_fen, status, reason)


async def save_deposit(conn: Conn, *, order_id: str, user_id: str, payment_id: str, amount_fen: int,
                       credit_score: int | None, status: str) -> None:
    """A new payment attempt for the order replaces the previous decision (the score may have changed)."""
    await conn.execute(
        "INSERT INTO deposits (order_id, user_id, payment_id, amount_fen, credit_score, status) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO UPDATE SET payment_id = $3, "
        "amount_fen = $4, credit_score = $5, status = $6 WHERE deposits.status IN ('waived', 'pending')",
        order_id, user_id, payment_id, amount_fen, credit_score, status)


async def lock_deposit(conn: Conn, order_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM deposits WHERE order_id = $1 FOR UPDATE", order_id)


async def set_deposit_status(conn: Conn, order_id: str, status: str) -> None:
    await conn.execute("UPDATE deposits SET status = $2, "
                       "released_at = CASE WHEN $2 = 'released' THEN now() ELSE released_at END "
                       "WHERE order_id = $1", order_id, status)


async def deposits_of(db: Database, user_id: str) -> list[Row]:
    return await db.fetch("SELECT order_id, amount_fen, status, mode, credit_score, credit_fen, charged_fen, "
                          "authorise_by, created_at, released_at "
                          "FROM deposits WHERE user_id = $1 ORDER BY created_at DESC LIMIT 100", user_id)


async def insert_bill(conn: Conn, *, bill_id: str, payment_id: str, order_id: str, user_id: str, amount_fen: int,
                      due_at: datetime) -> None:
    await conn.execute("INSERT INTO pay_later_bills (id, payment_id, order_id, user_id, amount_fen, due_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6)", bill_id, payment_id, order_id, user_id, amount_fen, due_at)


# --- Alipay products per merchant, store charges, fund-authorised deposits (issue 19) ------------------------


async def alipay_features(db: Conn | Database, merchant_id: str) -> Row | None:
    return await db.fetchrow("SELECT * FROM alipay_features WHERE merchant_id = $1", merchant_id)


async def set_alipay_features(conn: Conn, merchant_id: str, *, store_checkout: bool, sesame_deposit: bool,
                             alipay_vouchers: bool | None, jifenbao: bool | None) -> Row:
    """None: that switch stays as it was (off for a new row)."""
    row = await conn.fetchrow(
        "INSERT INTO alipay_features (merchant_id, store_checkout, sesame_deposit, alipay_vouchers, jifenbao) "
        "VALUES ($1, $2, $3, coalesce($4, false), coalesce($5, false)) "
        "ON CONFLICT (merchant_id) DO UPDATE SET store_checkout = $2, sesame_deposit = $3, "
        "alipay_vouchers = coalesce($4, alipay_features.alipay_vouchers), "
        "jifenbao = coalesce($5, alipay_features.jifenbao), updated_at = now() "
        "RETURNING *", merchant_id, store_checkout, sesame_deposit, alipay_vouchers, jifenbao)
    assert row is not None
    return row


async def lock_charge_by_key(conn: Conn, merchant_id: str, charge_key: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM payments WHERE merchant_id = $1 AND charge_key = $2 FOR UPDATE",
                               merchant_id, charge_key)


async def open_store_charge(conn: Conn, order_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM payments WHERE order_id = $1 AND scene IS NOT NULL "
                               "AND status = 'pending' FOR UPDATE", order_id)


async def link_alipay_buyer(conn: Conn, alipay_user_id: str, user_id: str, at: datetime) -> None:
    """The latest sign-in wins (events may come out of order: an older link never replaces a newer one)."""
    await conn.execute(
        "INSERT INTO alipay_buyers (alipay_user_id, user_id, linked_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (alipay_user_id) DO UPDATE SET user_id = $2, linked_at = $3 WHERE alipay_buyers.linked_at < $3",
        alipay_user_id, user_id, at)


async def buyer_of_alipay_user(conn: Conn, alipay_user_id: str) -> str | None:
    return await conn.fetchval("SELECT user_id FROM alipay_buyers WHERE alipay_user_id = $1", alipay_user_id)


async def set_charge_payer(conn: Conn, payment_id: str, out_trade_no: str, user_id: str) -> None:
    """A counter charge's payer is a known buyer: the payment (and what it reports) is theirs."""
    await conn.execute("UPDATE payments SET user_id = $2 WHERE id = $1", payment_id, user_id)
    await conn.execute("UPDATE alipay_trades SET user_id = $2 WHERE out_trade_no = $1", out_trade_no, user_id)


async def set_charge_buyer(conn: Conn, payment_id: str, buyer_alipay_id: str | None) -> None:
    await conn.execute("UPDATE payments SET buyer_alipay_id = COALESCE($2, buyer_alipay_id) WHERE id = $1",
                       payment_id, buyer_alipay_id)


async def hold_from_reconciliation(conn: Conn, out_trade_no: str, seconds: float) -> None:
    """A store charge follows its own trade to the end (query, then cancel): reconciliation, which claims
    trades not checked for a while, leaves it alone for `seconds` (a checked_at in the future)."""
    await conn.execute("UPDATE alipay_trades SET checked_at = now() + make_interval(secs => $2) "
                       "WHERE out_trade_no = $1", out_trade_no, seconds)


async def save_fund_auth_deposit(conn: Conn, *, order_id: str, user_id: str, amount_fen: int,
                                 credit_score: int | None, expires_at: datetime, authorise_by: datetime) -> None:
    """The deposit of a merchant using Sesame deposit-free, asked for before the rent is paid (no payment yet):
    authorising until the buyer confirms the freeze. A deposit an earlier payment attempt waived (the merchant
    switched Sesame deposit-free on since) becomes this one."""
    await conn.execute(
        "INSERT INTO deposits (order_id, user_id, payment_id, amount_fen, credit_score, status, mode, "
        "auth_expires_at, authorise_by) "
        "VALUES ($1, $2, NULL, $3, $4, 'authorising', 'fund_auth', $5, $6) ON CONFLICT (order_id) DO UPDATE SET "
        "payment_id = NULL, amount_fen = $3, credit_score = $4, status = 'authorising', mode = 'fund_auth', "
        "auth_expires_at = $5, authorise_by = $6 "
        "WHERE deposits.status = 'waived'",
        order_id, user_id, amount_fen, credit_score, expires_at, authorise_by)


async def next_auth_attempt(conn: Conn, order_id: str, expires_at: datetime) -> None:
    """The buyer's freeze request expired unconfirmed: a new request (the next attempt) supersedes it."""
    await conn.execute("UPDATE deposits SET auth_attempt = auth_attempt + 1, auth_expires_at = $2 "
                       "WHERE order_id = $1", order_id, expires_at)


async def set_deposit_frozen(conn: Conn, order_id: str, *, auth_no: str, credit_fen: int) -> None:
    await conn.execute("UPDATE deposits SET status = 'frozen', auth_no = $2, credit_fen = $3 WHERE order_id = $1",
                       order_id, auth_no, credit_fen)


async def set_deposit_charged(conn: Conn, order_id: str, *, charged_fen: int, trade_no: str) -> None:
    await conn.execute("UPDATE deposits SET charged_fen = $2, charge_trade_no = $3 WHERE order_id = $1",
                       order_id, charged_fen, trade_no)
