"""Refunds through the original leg (Alipay trade, balance, pay-later bill) and deposit releases.

`out_request_no` is the refund's idempotency key at Alipay, so a retried handler that calls Alipay again
with the same refund_id moves no money twice (notes §2.4).
"""

from __future__ import annotations

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import bills, deposits
from shared.alipay import AlipayError
from shared.db import Tx
from shared.events.orders import OrderRefundApproved
from shared.events.payments import PaymentRefunded, PaymentRefundFailed
from shared.logging import get_logger

log = get_logger("payments", component="refunds")


async def refund_order(deps: PaymentsDeps, tx: Tx, approved: OrderRefundApproved) -> None:
    if approved.amount_fen == 0:  # the order's last units, with no money left to move (orders settled it)
        if approved.closes_order and not approved.unwanted:
            await _release_after_refund(deps, tx, approved.order_id)
        return
    if await store.find_refund(tx.conn, approved.refund_id) is not None:
        return  # this refund_id was settled already (either way)
    payment = await store.refundable_payment(tx.conn, approved.order_id, approved.amount_fen)
    try:
        if payment is None:
            raise Refusal("not_paid", "The order has no payment to refund")
        domain.check_refund(approved.amount_fen, payment["amount_fen"], payment["refunded_fen"])
        await refund_leg(deps, tx, payment, approved.amount_fen, approved.refund_id, approved.reason)
    except Refusal as refusal:
        log.warning("refund refused", refund_id=approved.refund_id, order_id=approved.order_id,
                    reason=refusal.code)
        await store.insert_refund(tx.conn, refund_id=approved.refund_id, payment_id=payment["id"] if payment else None,
                                  order_id=approved.order_id, amount_fen=approved.amount_fen, status="rejected",
                                  reason=refusal.code)
        await tx.emit(PaymentRefundFailed(order_id=approved.order_id, user_id=approved.user_id,
                                          merchant_id=approved.merchant_id, refund_id=approved.refund_id,
                                          amount_fen=approved.amount_fen, reason=refusal.code))
        return
    total = await store.add_refunded(tx.conn, payment["id"], approved.amount_fen)
    assert total is not None  # checked above under the row lock
    await store.insert_refund(tx.conn, refund_id=approved.refund_id, payment_id=payment["id"],
                              order_id=approved.order_id, amount_fen=approved.amount_fen, status="succeeded",
                              reason=approved.reason)
    await tx.emit(PaymentRefunded(payment_id=payment["id"], order_id=approved.order_id, user_id=payment["user_id"],
                                  merchant_id=payment["merchant_id"], refund_id=approved.refund_id,
                                  amount_fen=approved.amount_fen, total_refunded_fen=total,
                                  full=total == payment["amount_fen"], unwanted=approved.unwanted))
    # Nothing is rented any more once the order's last units are refunded (the freight of a shipped order
    # stays paid, so the payment need not be refunded in full): a held deposit goes back too.
    if total == payment["amount_fen"] or (approved.closes_order and not approved.unwanted):
        await _release_after_refund(deps, tx, approved.order_id)


async def _release_after_refund(deps: PaymentsDeps, tx: Tx, order_id: str) -> None:
    try:
        await release_deposit_of(deps, tx, order_id)
    except Refusal as refusal:
        log.error("deposit not released after a full refund", order_id=order_id, reason=refusal.detail)


async def refund_leg(deps: PaymentsDeps, tx: Tx, payment: asyncpg.Record, amount_fen: int, request_no: str,
                     reason: str) -> None:
    """Give `amount_fen` back the way it came. Raises Refusal for a refusal by Alipay; transport errors
    propagate (the event is retried; the same out_request_no makes the retry safe)."""
    method = payment["method"]
    if method in ("alipay", "huabei"):
        try:
            await deps.alipay.trade_refund(out_trade_no=payment["out_trade_no"], refund_fen=amount_fen,
                                          out_request_no=request_no, reason=reason)
        except AlipayError as exc:
            raise Refusal("alipay_refused", f"{exc.sub_code}: {exc.sub_msg}") from None
    elif method == "balance":
        account = domain.user_account(payment["user_id"])
        await store.credit_balance(tx.conn, payment["user_id"], amount_fen)
        await store.insert_movement(tx.conn, domain.movement("sales", account, amount_fen), kind="refund",
                                    ref=request_no)
    else:  # pay_later: an unpaid bill shrinks; a repaid one gives the money back through its trade
        await bills.refund(deps, tx, payment, amount_fen, request_no, reason)


async def release_deposit_of(deps: PaymentsDeps, tx: Tx, order_id: str) -> str | None:
    """Give a held rental deposit back through the payment that collected it; the deposit's status after."""
    deposit = await store.lock_deposit(tx.conn, order_id)
    if deposit is not None and deposit["mode"] == "fund_auth":
        return await deposits.release_fund_auth(deps, tx, deposit)
    if deposit is None or deposit["status"] != "held":
        return deposit["status"] if deposit else None
    payment = await store.lock_payment(tx.conn, deposit["payment_id"])
    assert payment is not None
    await refund_leg(deps, tx, payment, deposit["amount_fen"], domain.out_trade_no("dep", order_id), "deposit")
    await store.set_deposit_status(tx.conn, order_id, "released")
    return "released"


async def release_deposit(deps: PaymentsDeps, tx: Tx, order_id: str, merchant_id: str) -> dict[str, object]:
    """The merchant ends a rental: the held deposit goes back (waived ones had nothing to give back)."""
    order = await store.lock_order(tx.conn, order_id)
    if order is None or order["merchant_id"] != merchant_id:
        raise Refusal("order_not_found", "No such order", 404)
    deposit = await store.lock_deposit(tx.conn, order_id)
    if deposit is None:
        raise Refusal("deposit_not_found", "This order has no deposit", 404)
    if deposit["status"] in ("pending", "authorising"):
        raise Refusal("deposit_not_held", "The deposit has not been paid or authorised")
    try:
        status = await release_deposit_of(deps, tx, order_id)
    except Refusal as refusal:
        raise Refusal(refusal.code, refusal.detail) from None
    return {"order_id": order_id, "amount_fen": deposit["amount_fen"], "status": status}
