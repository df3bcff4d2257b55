"""One function per consumed event. Events may come late, twice or out of order; each handler copes."""

from __future__ import annotations

from services.payments import store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import checks, deposits, refunding
from shared.db import Tx
from shared.events.base import Event
from shared.events.gateway import AlipayUserLinked
from shared.events.orders import OrderCancelled, OrderConfirmed, OrderRefundApproved
from shared.logging import get_logger
from shared.service import Handlers

log = get_logger("payments", component="handlers")


async def on_order_confirmed(deps: PaymentsDeps, tx: Tx, event: Event[OrderConfirmed]) -> None:
    o = event.data
    saved = await store.save_payable_order(
        tx.conn, order_id=o.order_id, user_id=o.user_id, merchant_id=o.merchant_id, subject=o.subject,
        payable_fen=o.payable_fen, deposit_fen=o.deposit_fen, pay_by=o.pay_by)
    if not saved:
        log.info("order.confirmed for a known order ignored", order_id=o.order_id)
    tx.changed(o.order_id)  # a pay request may be waiting for it (paying.wait_until_known)


async def on_order_cancelled(deps: PaymentsDeps, tx: Tx, event: Event[OrderCancelled]) -> None:
    o = event.data
    await store.cancel_order(tx.conn, order_id=o.order_id, user_id=o.user_id, merchant_id=o.merchant_id)
    tx.changed(o.order_id)
    for pending in await store.pending_payments(tx.conn, o.order_id):
        # Close the trade so the buyer can no longer pay it. If it was paid already (its notify lost or
        # not yet here), the payment is applied now: payment.confirmed makes orders refund it at once.
        if await checks.close_or_learn(deps, tx, pending["out_trade_no"]) != "paid":
            await store.set_payment_status(tx.conn, pending["id"], "closed", reason="order_cancelled")
    # Nothing is rented: a Sesame deposit-free freeze goes back (one still unconfirmed is closed, and a late
    # confirmation of it cancelled).
    deposit = await store.lock_deposit(tx.conn, o.order_id)
    if deposit is not None and deposit["mode"] == "fund_auth":
        try:
            await deposits.release_fund_auth(deps, tx, deposit)
        except Refusal as refusal:
            log.error("deposit not released after cancellation", order_id=o.order_id, reason=refusal.detail)


async def on_refund_approved(deps: PaymentsDeps, tx: Tx, event: Event[OrderRefundApproved]) -> None:
    await refunding.refund_order(deps, tx, event.data)


async def on_alipay_user_linked(deps: PaymentsDeps, tx: Tx, event: Event[AlipayUserLinked]) -> None:
    await store.link_alipay_buyer(tx.conn, event.data.alipay_user_id, event.data.user_id, event.occurred_at)


HANDLERS = (Handlers[PaymentsDeps]()
            .on(AlipayUserLinked, on_alipay_user_linked)
            .on(OrderConfirmed, on_order_confirmed)
            .on(OrderCancelled, on_order_cancelled)
            .on(OrderRefundApproved, on_refund_approved))

