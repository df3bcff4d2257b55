"""Store checkout (当面付, 刷脸付): a clerk charges the buyer's payment code or face token for an order rung up at
the counter, with `alipay.trade.pay` (scene bar_code / security_code).

Never charging twice rests on three things:
- the charge (a pending payment with its out_trade_no) is committed before Alipay is asked, found again by the
  clerk's Idempotency-Key, and an order has at most one charge waiting (a unique index);
- Alipay itself treats the same out_trade_no as the same trade;
- an outcome Alipay could not tell at once (10003 "the buyer is confirming", ACQ.SYSTEM_ERROR, no answer)
  is learned with `alipay.trade.query` until `store_charge_deadline_s`, and a trade still unknown then is
  cancelled (`alipay.trade.cancel`: closed if unpaid, refunded in full if paid), so it ends one way or the
  other before the clerk is answered.
The outcome is applied as every trade outcome is (`paying.apply_trade_status`): payment.confirmed, and the
order goes on as any paid order (stock sold, points, analytics, refunds through the same trade). A payer
Alipay names (`buyer_user_id`) who signed in to the mall with that Alipay id (the gateway's
user.alipay_linked) owns the sale: payment.confirmed names them, so the sale earns their points and level.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import paying
from shared.alipay import AlipayError, AlipayResponseError
from shared.logging import get_logger

log = get_logger("payments").bind(component="store_checkout")

Scene = Literal["bar_code", "security_code"]
Outcome = Literal["paid", "failed", "unknown"]
UNKNOWN_CODES = ("10003", "20000")  # the buyer is confirming; Alipay could not say
UNKNOWN_SUB_CODES = ("ACQ.SYSTEM_ERROR",)
HOLD_MARGIN_S = 30.0  # beyond the deadline: the cancel and its retries


async def features(db: Any, merchant_id: str) -> dict[str, Any]:
    row = await store.alipay_features(db, merchant_id)
    return {"merchant_id": merchant_id, "store_checkout": bool(row and row["store_checkout"]),
            "sesame_deposit": bool(row and row["sesame_deposit"]),
            "alipay_vouchers": bool(row and row["alipay_vouchers"]), "jifenbao": bool(row and row["jifenbao"])}


async def charge(deps: PaymentsDeps, *, order_id: str, merchant_id: str, store_id: str, scene: Scene,
                 auth_code: str, charge_key: str) -> dict[str, Any]:
    payment = await _open_charge(deps, order_id=order_id, merchant_id=merchant_id, store_id=store_id, scene=scene,
                                 charge_key=charge_key)
    if payment["status"] != "pending":
        return charge_view(payment)  # a retry of a charge that has ended
    out_trade_no = payment["out_trade_no"]
    outcome, trade_no, buyer, reason = await _ask(deps, payment, auth_code)
    polls = int(deps.settings.store_charge_deadline_s / deps.settings.store_charge_poll_s)
    for _ in range(polls):
        if outcome != "unknown":
            break
        await asyncio.sleep(deps.settings.store_charge_poll_s)
        outcome, trade_no, buyer = await _query(deps, payment, trade_no, buyer)
    if outcome == "unknown":
        reason = await _cancel(deps, out_trade_no)
        outcome = "failed"
    return await _apply(deps, payment["id"], out_trade_no, outcome, trade_no, buyer, reason)


async def _open_charge(deps: PaymentsDeps, *, order_id: str, merchant_id: str, store_id: str, scene: Scene,
                       charge_key: str) -> asyncpg.Record:
    """The charge of this Idempotency-Key: found again, or made (and committed) before Alipay is asked."""
    async with deps.db.transaction() as tx:
        order = await store.lock_order(tx.conn, order_id)
        if order is None:  # order.confirmed has not come (after the wait): the saga may still be deciding
            raise Refusal("order_not_ready", "The order is not ready to be paid yet; try again shortly")
        if order["merchant_id"] != merchant_id:
            raise Refusal("order_not_found", "No such order", 404)
        if not order["user_id"].startswith("walkin:"):  # a buyer's own order is paid by the buyer
            raise Refusal("not_a_counter_sale", "Only a sale rung up at the counter is charged there")
        found = await store.lock_charge_by_key(tx.conn, merchant_id, charge_key)
        if found is not None:
            if found["order_id"] != order_id:
                raise Refusal("idempotency_key_reused", "This Idempotency-Key charged another order", 422)
            return found
        if not (await features(tx.conn, merchant_id))["store_checkout"]:
            raise Refusal("store_checkout_disabled", "The merchant has not switched store checkout on")
        if order["status"] == "paid":
            raise Refusal("order_already_paid", "The order is paid already")
        if order["status"] != "payable" or order["pay_by"] <= deps.clock.now():
            raise Refusal("order_not_payable", "The order can no longer be paid")
        if await store.open_store_charge(tx.conn, order_id) is not None:
            raise Refusal("charge_in_progress", "Another charge of this order is waiting for its outcome")
        payment_id = str(uuid.uuid4())
        out_trade_no = domain.out_trade_no("p", payment_id)
        # The deposit of a rentable SKU is not taken at the counter: the price only.
        await store.insert_payment(
            tx.conn, id=payment_id, order_id=order_id, user_id=order["user_id"], merchant_id=merchant_id,
            method="alipay", status="pending", amount_fen=order["payable_fen"], deposit_fen=0,
            out_trade_no=out_trade_no, scene=scene, store_id=store_id, charge_key=charge_key)
        await store.insert_trade(tx.conn, out_trade_no=out_trade_no, purpose="payment", ref_id=payment_id,
                                 user_id=order["user_id"], amount_fen=order["payable_fen"])
        await store.hold_from_reconciliation(tx.conn, out_trade_no,
                                             deps.settings.store_charge_deadline_s + HOLD_MARGIN_S)
        payment = await store.lock_payment(tx.conn, payment_id)
        assert payment is not None
        return payment


async def _ask(deps: PaymentsDeps, payment: asyncpg.Record, auth_code: str
               ) -> tuple[Outcome, str | None, str | None, str | None]:
    """`alipay.trade.pay` once (a retry sends the same out_trade_no: Alipay answers the same trade)."""
    order = await store.payable_order(deps.db, payment["order_id"])
    assert order is not None
    try:
        paid = await deps.alipay.trade_pay(
            out_trade_no=payment["out_trade_no"], amount_fen=payment["amount_fen"],
            subject=domain.trade_subject(order["subject"]), scene=payment["scene"], auth_code=auth_code)
    except AlipayError as exc:
        if exc.code in UNKNOWN_CODES or exc.sub_code in UNKNOWN_SUB_CODES:
            log.info("store charge outcome unknown", out_trade_no=payment["out_trade_no"], code=exc.code,
                     sub_code=exc.sub_code)
            return "unknown", None, None, None
        log.info("store charge declined", out_trade_no=payment["out_trade_no"], sub_code=exc.sub_code)
        return "failed", None, None, exc.sub_code or exc.code
    except AlipayResponseError as exc:  # no trustworthy answer: maybe taken, maybe not
        log.warning("store charge unanswered", out_trade_no=payment["out_trade_no"], error=str(exc))
        return "unknown", None, None, None
    if paid.amount_fen != payment["amount_fen"]:
        log.error("store charge amount differs", out_trade_no=payment["out_trade_no"], amount_fen=paid.amount_fen)
        return "unknown", paid.trade_no, paid.buyer_user_id, None  # settled by query or cancel, never trusted
    return "paid", paid.trade_no, paid.buyer_user_id, None


async def _query(deps: PaymentsDeps, payment: asyncpg.Record, trade_no: str | None, buyer: str | None
                 ) -> tuple[Outcome, str | None, str | None]:
    try:
        found = await deps.alipay.trade_query(payment["out_trade_no"])
    except (AlipayError, AlipayResponseError):  # not there yet (ACQ.TRADE_NOT_EXIST) or no answer: ask again
        return "unknown", trade_no, buyer
    if found.trade_status in domain.PAID_STATUSES and found.amount_fen == payment["amount_fen"]:
        return "paid", found.trade_no, found.buyer_user_id or buyer
    if found.trade_status == "TRADE_CLOSED":
        return "failed", found.trade_no, buyer
    return "unknown", found.trade_no or trade_no, found.buyer_user_id or buyer


async def _cancel(deps: PaymentsDeps, out_trade_no: str) -> str:
    """The deadline passed without an outcome: undo the trade, whatever it became. Alipay may ask for the
    cancel again (retry_flag); an unanswered cancel is repeated before giving up."""
    for _ in range(3):
        try:
            result = await deps.alipay.trade_cancel(out_trade_no)
        except AlipayError as exc:
            log.error("store charge cancel refused", out_trade_no=out_trade_no, sub_code=exc.sub_code)
            raise Refusal("alipay_refused", f"Alipay refused to cancel the charge: {exc.sub_code}") from None
        except AlipayResponseError:
            continue
        if not result.retry:
            log.info("store charge cancelled", out_trade_no=out_trade_no, action=result.action)
            return "cancelled_refunded" if result.action == "refund" else "cancelled"
    # Left waiting: the order's pay-by deadline closes the trade, and a late success is refunded by orders.
    raise paying.AlipayUnavailable(f"alipay.trade.cancel of {out_trade_no} did not answer")


async def _apply(deps: PaymentsDeps, payment_id: str, out_trade_no: str, outcome: Outcome, trade_no: str | None,
                 buyer: str | None, reason: str | None) -> dict[str, Any]:
    async with deps.db.transaction() as tx:
        trade = await store.lock_trade(tx.conn, out_trade_no)
        assert trade is not None
        await store.set_charge_buyer(tx.conn, payment_id, buyer)
        if outcome == "paid" and buyer and trade["status"] not in domain.PAID_STATUSES:
            # Before payment.confirmed is built from the payment's row: a payer who is one of the mall's
            # buyers owns the sale (orders adopts it, marketing awards points); anyone else stays a walk-in.
            member = await store.buyer_of_alipay_user(tx.conn, buyer)
            if member is not None:
                await store.set_charge_payer(tx.conn, payment_id, out_trade_no, member)
        if outcome == "paid":
            await paying.apply_trade_status(deps, tx, trade, "TRADE_SUCCESS", trade_no=trade_no,
                                            fund_channel=None)
        elif await paying.apply_trade_status(deps, tx, trade, "TRADE_CLOSED", trade_no=trade_no,
                                             fund_channel=None) == "closed":
            # Failed just now (not paid meanwhile): say why, in Alipay's words or ours.
            await store.set_payment_status(tx.conn, payment_id, "failed", reason=reason or "declined",
                                           trade_no=trade_no)
        payment = await store.lock_payment(tx.conn, payment_id)
        assert payment is not None
        return charge_view(payment)


def charge_view(payment: asyncpg.Record) -> dict[str, Any]:
    return {"payment_id": payment["id"], "order_id": payment["order_id"], "status": payment["status"],
            "scene": payment["scene"], "store_id": payment["store_id"], "amount_fen": payment["amount_fen"],
            "out_trade_no": payment["out_trade_no"], "trade_no": payment["trade_no"],
            "buyer_alipay_id": payment["buyer_alipay_id"],
            "reason": payment["fail_reason"] if payment["status"] == "failed" else None,
            "paid_at": payment["paid_at"].isoformat() if payment["paid_at"] else None}
