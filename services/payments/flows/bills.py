"""Pay-later credit flows: reserving credit for a pay-later payment, the buyer's bills and credit line,
repaying a bill through an Alipay trade, what a paid repayment trade changes, and refunds of pay-later orders.

Business refusals are `domain.Refusal` (the API renders them). Alipay calls reuse paying.create_trade and the
one trade table, so the notify and the reconciler handle repayment trades like every other trade.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal, credit
from services.payments.flows import paying
from services.payments.store import bills as bill_store
from shared.alipay import AlipayError, AlipayResponseError
from shared.db import Tx
from shared.events.payments import BillPaid
from shared.logging import get_logger

log = get_logger("payments", component="bills")


class RepaymentInFlight(Exception):
    """A refund met a repayment trade Alipay would neither close nor report paid: the event is retried."""


def _bill(row: asyncpg.Record) -> credit.Bill:
    return credit.Bill(row["amount_fen"], row["refunded_fen"], row["status"])


async def reserve(deps: PaymentsDeps, tx: Tx, *, user_id: str, score: int | None, amount_fen: int) -> None:
    """Refuse a pay-later payment the buyer's credit does not cover. Runs under the buyer's credit-line lock,
    held until the bill is committed, so concurrent payments cannot together pass the limit."""
    await bill_store.lock_credit_line(tx.conn, user_id)
    rows = await bill_store.outstanding_bills(tx.conn, user_id)
    now = deps.clock.now()
    line = credit.CreditLine(credit.limit_for(score, deps.settings.pay_later_limits_fen),
                             credit.used_fen(_bill(r) for r in rows))
    credit.check_pay_later(line, amount_fen, overdue=any(credit.is_overdue(r["status"], r["due_at"], now)
                                                         for r in rows))


async def my_bills(deps: PaymentsDeps, *, user_id: str, score: int | None) -> dict[str, Any]:
    rows = await bill_store.bills_of(deps.db, user_id)  # the latest 100; the credit counts every unpaid one
    unpaid = await bill_store.outstanding_bills(deps.db, user_id)
    now = deps.clock.now()
    line = credit.CreditLine(credit.limit_for(score, deps.settings.pay_later_limits_fen),
                             credit.used_fen(_bill(r) for r in unpaid))
    items = [{"id": r["id"], "order_id": r["order_id"], "amount_fen": r["amount_fen"],
              "refunded_fen": r["refunded_fen"], "due_fen": _bill(r).due_fen, "due_at": r["due_at"].isoformat(),
              "status": credit.shown_status(r["status"], r["due_at"], now), "paid_fen": r["paid_fen"],
              "paid_at": r["paid_at"].isoformat() if r["paid_at"] else None} for r in rows]
    return {"items": items, "credit": line.view()}


async def pay_bill(deps: PaymentsDeps, tx: Tx, *, bill_id: str, user_id: str, alipay_user_id: str) -> dict[str, Any]:
    """An Alipay trade for what the bill owes now (never an amount from the client); asking again while that
    trade still waits answers the same trade."""
    bill = await bill_store.lock_bill_of_user(tx.conn, bill_id, user_id)
    if bill is None:
        raise Refusal("bill_not_found", "No such bill", status=404)
    if bill["status"] == "paid":
        raise Refusal("bill_already_paid", "The bill is paid already")
    due = _bill(bill).due_fen
    if due <= 0:
        raise Refusal("bill_not_payable", "Nothing is owed on this bill")
    answer = {"bill_id": bill_id, "order_id": bill["order_id"], "amount_fen": due}
    if bill["out_trade_no"]:
        trade = await store.lock_trade(tx.conn, bill["out_trade_no"])
        if trade is not None and trade["status"] == "WAIT_BUYER_PAY" and trade["amount_fen"] == due \
                and trade["trade_no"]:
            return {**answer, "trade_no": trade["trade_no"]}
    out_trade_no = domain.out_trade_no("b", str(uuid.uuid4()))
    await store.insert_trade(tx.conn, out_trade_no=out_trade_no, purpose="bill", ref_id=bill_id, user_id=user_id,
                             amount_fen=due)
    trade_no = await paying.create_trade(deps, out_trade_no=out_trade_no, amount_fen=due,
                                         subject=f"信用购还款 {bill['order_id']}", buyer_id=alipay_user_id)
    await store.set_trade_no(tx.conn, out_trade_no, trade_no)
    await bill_store.set_bill_trade(tx.conn, bill_id, out_trade_no)
    return {**answer, "trade_no": trade_no}


async def repaid(deps: PaymentsDeps, tx: Tx, trade: asyncpg.Record, trade_no: str | None) -> None:
    """A repayment trade was paid (verified notify or trade query). It settles the bill only if it is the
    bill's current trade for what the bill owes; money nobody owed goes straight back."""
    bill = await bill_store.lock_bill(tx.conn, trade["ref_id"])
    assert bill is not None
    try:
        if bill["out_trade_no"] != trade["out_trade_no"]:
            raise Refusal("bill_not_payable", "not the bill's current repayment trade")
        credit.after_repayment(_bill(bill), trade["amount_fen"])
    except Refusal as refusal:
        log.error("repayment not owed: giving it back", bill_id=bill["id"], out_trade_no=trade["out_trade_no"],
                  reason=refusal.detail)
        await _give_back(deps, trade)
        return
    now = deps.clock.now()
    await bill_store.set_bill_paid(tx.conn, bill["id"], trade["amount_fen"], now)
    await tx.emit(BillPaid(bill_id=bill["id"], order_id=bill["order_id"], user_id=bill["user_id"],
                           amount_fen=trade["amount_fen"], trade_no=trade_no, paid_at=now))


async def _give_back(deps: PaymentsDeps, trade: asyncpg.Record) -> None:
    try:
        await deps.alipay.trade_refund(out_trade_no=trade["out_trade_no"], refund_fen=trade["amount_fen"],
                                      out_request_no=domain.out_trade_no("back", trade["out_trade_no"]),
                                      reason="bill repaid twice")
    except AlipayError as exc:  # transport errors propagate: the notify is answered `fail` and comes again
        log.error("repayment not given back", out_trade_no=trade["out_trade_no"], sub_code=exc.sub_code)


async def refund(deps: PaymentsDeps, tx: Tx, payment: asyncpg.Record, amount_fen: int, request_no: str,
                 reason: str) -> None:
    """The refund leg of a pay-later payment: an unpaid bill shrinks (its waiting repayment trade is closed,
    since it asks for the old amount); a repaid bill gives the money back through its repayment trade."""
    bill = await bill_store.lock_bill_of_payment(tx.conn, payment["id"])
    if bill is None:
        raise Refusal("not_paid", "The pay-later payment has no bill")
    if bill["status"] != "paid" and bill["out_trade_no"] and await _close_or_settle(deps, tx, bill["out_trade_no"]):
        bill = await bill_store.lock_bill_of_payment(tx.conn, payment["id"])  # repaid after all: read it again
        assert bill is not None
    after = credit.after_refund(_bill(bill), amount_fen)
    if bill["status"] == "paid":
        try:
            await deps.alipay.trade_refund(out_trade_no=bill["out_trade_no"], refund_fen=amount_fen,
                                          out_request_no=request_no, reason=reason)
        except AlipayError as exc:
            raise Refusal("alipay_refused", f"{exc.sub_code}: {exc.sub_msg}") from None
    await bill_store.set_bill_refunded(tx.conn, bill["id"], after.refunded_fen, after.status)


async def _close_or_settle(deps: PaymentsDeps, tx: Tx, out_trade_no: str) -> bool:
    """Close a waiting repayment trade. If Alipay will not, because the buyer paid it and its notify is not
    here yet, learn that now (trade query) and settle the bill: True. Anything unclear is retried."""
    trade = await store.lock_trade(tx.conn, out_trade_no)
    if trade is None or trade["status"] != "WAIT_BUYER_PAY":
        return False
    try:
        await deps.alipay.trade_close(out_trade_no)
    except AlipayError as exc:
        if exc.sub_code != "ACQ.TRADE_NOT_EXIST":  # never opened in the cashier: nothing to close
            return await _settle_from_query(deps, tx, trade)
    await store.set_trade_status(tx.conn, out_trade_no, "TRADE_CLOSED", trade_no=None, fund_channel=None,
                                 paid=False)
    return False


async def _settle_from_query(deps: PaymentsDeps, tx: Tx, trade: asyncpg.Record) -> bool:
    try:
        result = await deps.alipay.trade_query(trade["out_trade_no"])
    except AlipayError as exc:
        raise RepaymentInFlight(f"{trade['out_trade_no']}: {exc.sub_code}") from None
    if result.trade_status not in domain.PAID_STATUSES or result.amount_fen != trade["amount_fen"]:
        raise RepaymentInFlight(f"{trade['out_trade_no']}: {result.trade_status}")
    await paying.apply_trade_status(deps, tx, trade, result.trade_status, trade_no=result.trade_no or None,
                                    fund_channel=result.fund_channels[0] if result.fund_channels else None)
    return True


# --- agreement deduction (商户代扣) ------------------------------------------------------------------------------


def _agreement_view(row: asyncpg.Record | None) -> dict[str, Any]:
    return {"status": row["status"] if row else "none", "agreement_no": row["agreement_no"] if row else None}


async def sign_agreement(deps: PaymentsDeps, *, user_id: str) -> dict[str, Any]:
    """The buyer's withholding agreement: active, or the signed order string of Alipay's signing page."""
    async with deps.db.transaction() as tx:
        row = await bill_store.start_agreement(tx.conn, user_id, domain.out_trade_no("ag", str(uuid.uuid4())),
                                               deps.clock.now())
    if row["status"] == "active":
        return _agreement_view(row)
    return {**_agreement_view(row), "sign_str": deps.alipay.agreement_sign_str(
        external_agreement_no=row["external_agreement_no"])}


async def check_agreement(deps: PaymentsDeps, *, user_id: str) -> dict[str, Any]:
    """Back from Alipay's signing page: ask Alipay whether the agreement is signed."""
    row = await bill_store.agreement(deps.db, user_id)
    if row is None or row["status"] == "active":
        return _agreement_view(row)
    try:
        agreement_no, status, _ = await deps.alipay.agreement_query(row["external_agreement_no"])
    except AlipayError:  # not signed (yet)
        return _agreement_view(row)
    if status != "NORMAL":
        return _agreement_view(row)
    async with deps.db.transaction() as tx:
        return _agreement_view(await bill_store.agreement_signed(tx.conn, user_id, agreement_no, deps.clock.now()))


async def deduct_due(deps: PaymentsDeps, limit: int = 50) -> int:
    """One round: every due bill of a buyer who signed is deducted once (`alipay.trade.pay` with the agreement).
    The repayment trade is committed as the bill's current trade before Alipay is asked, so an answer lost on
    the way is learned by reconciliation (a query of that trade) and settles the bill as a notify would; a
    refused deduction leaves the bill to the buyer. Returns how many were paid."""
    now = deps.clock.now()
    async with deps.db.transaction() as tx:
        claimed = await bill_store.claim_deductible(tx.conn, now, limit)
        asks = []
        for bill in claimed:
            due = _bill(bill).due_fen
            if due <= 0:
                continue
            try:
                if bill["out_trade_no"] and await _close_or_settle(deps, tx, bill["out_trade_no"]):
                    continue  # the buyer had paid it themselves
            except RepaymentInFlight:
                continue  # the buyer's own repayment is under way: theirs to finish
            out_trade_no = domain.out_trade_no("bd", str(uuid.uuid4()))
            await store.insert_trade(tx.conn, out_trade_no=out_trade_no, purpose="bill", ref_id=bill["id"],
                                     user_id=bill["user_id"], amount_fen=due)
            await bill_store.set_bill_trade(tx.conn, bill["id"], out_trade_no)
            asks.append((out_trade_no, due, bill))
    paid = 0
    for out_trade_no, due, bill in asks:
        try:
            result = await deps.alipay.trade_pay_by_agreement(
                out_trade_no=out_trade_no, amount_fen=due, subject=f"信用购还款 {bill['order_id']}",
                agreement_no=bill["agreement_no"])
        except (AlipayError, AlipayResponseError) as exc:
            log.warning("agreement deduction not confirmed", bill_id=bill["id"], error=str(exc))
            if isinstance(exc, AlipayError) and exc.code == "40004":  # refused: nothing taken, the buyer pays
                async with deps.db.transaction() as tx:
                    await store.set_trade_status(tx.conn, out_trade_no, "TRADE_CLOSED", trade_no=None,
                                                 fund_channel=None, paid=False)
            continue  # unknown: the trade stays waiting and reconciliation asks Alipay about it
        async with deps.db.transaction() as tx:
            trade = await store.lock_trade(tx.conn, out_trade_no)
            assert trade is not None
            await store.set_trade_no(tx.conn, out_trade_no, result.trade_no)
            await paying.apply_trade_status(deps, tx, trade, "TRADE_SUCCESS", trade_no=result.trade_no,
                                            fund_channel=result.fund_channels[0] if result.fund_channels else None)
        paid += 1
    return paid
