"""SQL of pay-later credit: credit-line locks, bills, their repayment trades, reminders and overdue marking."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.db import Database

Conn = asyncpg.Connection
Row = asyncpg.Record


async def lock_credit_line(conn: Conn, user_id: str) -> None:
    """Hold the buyer's credit-line row until commit: their pay-later payments then run one at a time, and
    each sees the bills the one before it committed."""
    await conn.execute("INSERT INTO credit_lines (user_id) VALUES ($1) "
                       "ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id", user_id)


async def outstanding_bills(conn: Conn | Database, user_id: str) -> list[Row]:
    return await conn.fetch("SELECT amount_fen, refunded_fen, status, due_at FROM pay_later_bills "
                            "WHERE user_id = $1 AND status IN ('open', 'overdue')", user_id)


async def bills_of(db: Database, user_id: str) -> list[Row]:
    return await db.fetch("SELECT id, order_id, amount_fen, refunded_fen, due_at, status, paid_fen, paid_at, "
                          "created_at FROM pay_later_bills WHERE user_id = $1 ORDER BY created_at DESC LIMIT 100",
                          user_id)


async def lock_bill_of_user(conn: Conn, bill_id: str, user_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM pay_later_bills WHERE id = $1 AND user_id = $2 FOR UPDATE",
                               bill_id, user_id)


async def lock_bill(conn: Conn, bill_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM pay_later_bills WHERE id = $1 FOR UPDATE", bill_id)


async def lock_bill_of_payment(conn: Conn, payment_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM pay_later_bills WHERE payment_id = $1 FOR UPDATE", payment_id)


async def set_bill_trade(conn: Conn, bill_id: str, out_trade_no: str) -> None:
    await conn.execute("UPDATE pay_later_bills SET out_trade_no = $2 WHERE id = $1", bill_id, out_trade_no)


async def set_bill_paid(conn: Conn, bill_id: str, paid_fen: int, paid_at: datetime) -> None:
    await conn.execute("UPDATE pay_later_bills SET status = 'paid', paid_fen = $2, paid_at = $3 WHERE id = $1",
                       bill_id, paid_fen, paid_at)


async def set_bill_refunded(conn: Conn, bill_id: str, refunded_fen: int, status: str) -> None:
    await conn.execute("UPDATE pay_later_bills SET refunded_fen = $2, status = $3 WHERE id = $1",
                       bill_id, refunded_fen, status)


async def claim_due_soon(conn: Conn, now: datetime, horizon: datetime, limit: int) -> list[Row]:
    """Open bills due within the horizon not yet reminded, each claimed by one replica once."""
    return await conn.fetch(
        "UPDATE pay_later_bills SET reminded_at = $1 WHERE id IN ("
        "  SELECT id FROM pay_later_bills WHERE status = 'open' AND reminded_at IS NULL"
        "  AND due_at > $1 AND due_at <= $2 ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, order_id, user_id, amount_fen - refunded_fen AS due_fen, due_at", now, horizon, limit)


async def claim_overdue(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Open bills past their due date become overdue, each by one replica once."""
    return await conn.fetch(
        "UPDATE pay_later_bills SET status = 'overdue', overdue_at = $1 WHERE id IN ("
        "  SELECT id FROM pay_later_bills WHERE status = 'open' AND due_at <= $1"
        "  ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
        "RETURNING id, order_id, user_id, amount_fen - refunded_fen AS due_fen, due_at", now, limit)


async def merchant_exposure(db: Database, merchant_id: str) -> list[Row]:
    """The unpaid bills of the merchant's pay-later orders (what the mall has lent on them)."""
    return await db.fetch(
        "SELECT b.id, b.order_id, b.amount_fen - b.refunded_fen AS due_fen, b.due_at, b.status "
        "FROM pay_later_bills b JOIN payments p ON p.id = b.payment_id "
        "WHERE p.merchant_id = $1 AND p.method = 'pay_later' AND b.status IN ('open', 'overdue') "
        "ORDER BY b.due_at", merchant_id)


# --- agreement deduction ---------------------------------------------------------------------------------------


async def agreement(conn: Conn | Database, user_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM deduction_agreements WHERE user_id = $1", user_id)


async def start_agreement(conn: Conn, user_id: str, external_agreement_no: str, now: datetime) -> Row:
    await conn.execute("INSERT INTO deduction_agreements (user_id, external_agreement_no, status, created_at) "
                       "VALUES ($1, $2, 'signing', $3) ON CONFLICT (user_id) DO NOTHING",
                       user_id, external_agreement_no, now)
    row = await conn.fetchrow("SELECT * FROM deduction_agreements WHERE user_id = $1", user_id)
    assert row is not None
    return row


async def agreement_signed(conn: Conn, user_id: str, agreement_no: str, now: datetime) -> Row:
    row = await conn.fetchrow("UPDATE deduction_agreements SET status = 'active', agreement_no = $2, signed_at = $3 "
                              "WHERE user_id = $1 RETURNING *", user_id, agreement_no, now)
    assert row is not None
    return row


async def claim_deductible(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Due unpaid bills of buyers with an active agreement, not tried yet; each claimed by one replica once
    (marked tried in the same statement)."""
    return await conn.fetch(
        "UPDATE pay_later_bills b SET deduction_tried_at = $1 FROM deduction_agreements a "
        "WHERE b.id IN (SELECT b2.id FROM pay_later_bills b2 JOIN deduction_agreements a2 USING (user_id) "
        "  WHERE b2.status IN ('open', 'overdue') AND b2.deduction_tried_at IS NULL AND b2.due_at <= $1 "
        "  AND a2.status = 'active' ORDER BY b2.due_at LIMIT $2 FOR UPDATE OF b2 SKIP LOCKED) "
        "AND a.user_id = b.user_id RETURNING b.*, a.agreement_no", now, limit)
