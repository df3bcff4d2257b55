"""Paying an order, topping up the balance, and what a paid or closed Alipay trade changes.

Each function runs inside the caller's transaction. Alipay calls made here hold the order's row lock on
purpose: two pay requests for one order must not open two trades at once.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Method, PayDecision, Refusal
from services.payments.flows import bills, deposits, huabei
from shared.alipay import AlipayError, AlipayResponseError
from shared.db import Tx
from shared.events.payments import PaymentConfirmed, PaymentFailed
from shared.logging import get_logger

log = get_logger("payments", component="paying")


class AlipayUnavailable(Exception):
    """Alipay did not answer (or not readably): not a business "no" but a fault that may pass, so the bus
    retries a handler that meets it; at the HTTP edge it is a 502 `alipay_unavailable` (payments' `api`)."""


async def wait_until_known(deps: PaymentsDeps, order_id: str) -> None:
    """Payments learns an order from order.confirmed, which may trail the order's status by a moment: a buyer
    who pays right after placing waits (at most MALL_ORDER_WAIT_MS, woken by that event's commit) rather
    than being refused with order_not_ready."""
    async def known() -> bool:
        return await store.order_known(deps.db, order_id)

    await deps.changes.wait(order_id, known, deps.settings.order_wait_ms / 1000)


def payment_view(payment: asyncpg.Record) -> dict[str, Any]:
    view: dict[str, Any] = {
        "payment_id": payment["id"], "order_id": payment["order_id"], "method": payment["method"],
        "status": payment["status"], "amount_fen": payment["amount_fen"], "deposit_fen": payment["deposit_fen"],
        "refunded_fen": payment["refunded_fen"], "trade_no": payment["trade_no"],
        "paid_at": payment["paid_at"].isoformat() if payment["paid_at"] else None,
    }
    if payment["installments"]:
        view["plan"] = {"installments": payment["installments"], "fee_payer": payment["fee_payer"],
                        "fee_fen": payment["fee_fen"], "per_period_fen": payment["per_period_fen"]}
    return view


async def pay_order(deps: PaymentsDeps, tx: Tx, *, order_id: str, user_id: str, score: int | None,
                    alipay_user_id: str | None, method: Method, installments: int | None) -> dict[str, Any]:
    order = await store.lock_order(tx.conn, order_id)
    if order is None:  # order.confirmed may still be on its way
        raise Refusal("order_not_ready", "The order is not ready for payment yet; retry shortly")
    if order["user_id"] != user_id:
        raise Refusal("order_not_found", "No such order", 404)
    if order["status"] == "paid":
        raise Refusal("order_already_paid", "The order is paid already")
    if order["status"] != "payable" or order["pay_by"] <= deps.clock.now():
        raise Refusal("order_not_payable", "The order can no longer be paid")
    # The fee payer is the order's merchant's setting, never the buyer's choice.
    offers = await huabei.offers_for(tx.conn, order["merchant_id"], deps.settings.rules) if method == "huabei" else []
    decision = domain.decide_payment(method, order["payable_fen"], order["deposit_fen"], score,
                                     deps.settings.rules, installments=installments, offers=offers,
                                     fund_auth=await _takes_fund_auth(tx, order))
    if method in ("alipay", "huabei") and not alipay_user_id:
        raise Refusal("alipay_user_required", "Paying through Alipay needs the buyer's Alipay user id", 422)
    if decision.deposit == "fund_auth":  # a Sesame deposit-free rental: its rent waits for the deposit's freeze
        await deposits.require_frozen(deps, tx, order_id)
    for pending in await store.pending_payments(tx.conn, order_id):
        if _same_terms(pending, decision):
            return payment_view(pending)  # the trade the client has
        await _close_trade(deps, pending["out_trade_no"])
        await store.set_payment_status(tx.conn, pending["id"], "closed", reason="superseded")
    payment_id = str(uuid.uuid4())
    if method == "balance":
        payment = await _pay_from_balance(deps, tx, order, payment_id, decision)
    elif method == "pay_later":
        payment = await _pay_later(deps, tx, order, payment_id, decision, score)
    else:
        payment = await _open_trade(deps, tx, order, payment_id, decision, str(alipay_user_id))
    await _record_deposit(tx, order, payment_id, decision, score, paid=method in ("balance", "pay_later"))
    return payment_view(payment)  # as inserted: nothing after changes the payment's row


async def _takes_fund_auth(tx: Tx, order: asyncpg.Record) -> bool:
    """Fund authorisation only changes how a deposit is taken: an order without one need not ask."""
    if order["deposit_fen"] <= 0:
        return False
    deposit = await store.lock_deposit(tx.conn, order["order_id"])
    return deposits.takes_fund_auth(deposit, await store.alipay_features(tx.conn, order["merchant_id"]))


def _same_terms(payment: asyncpg.Record, decision: PayDecision) -> bool:
    plan = decision.plan
    return (payment["method"] == decision.method and payment["trade_no"] is not None
            and payment["amount_fen"] + payment["deposit_fen"] == decision.charge_fen
            and payment["installments"] == (plan.installments if plan else None)
            and payment["fee_payer"] == (plan.fee_payer if plan else None))


async def _close_trade(deps: PaymentsDeps, out_trade_no: str | None) -> None:
    """Close a trade we no longer want, so the buyer cannot pay it. If it was paid meanwhile, its notify
    is on its way: refuse the new attempt rather than take the money twice."""
    if not out_trade_no:
        return
    try:
        await deps.alipay.trade_close(out_trade_no)
    except AlipayError as exc:
        if exc.sub_code == "ACQ.TRADE_HAS_SUCCESS":
            raise Refusal("payment_in_progress", "A payment for this order is being completed") from None
        if exc.sub_code != "ACQ.TRADE_NOT_EXIST":  # never opened in the cashier: nothing to close
            raise Refusal("alipay_refused", f"Alipay refused to close the earlier trade: {exc.sub_code}") from None
    except AlipayResponseError as exc:
        raise AlipayUnavailable(str(exc)) from None


async def _pay_from_balance(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, payment_id: str,
                            decision: PayDecision) -> asyncpg.Record:
    if await store.debit_balance(tx.conn, order["user_id"], decision.charge_fen) is None:
        raise Refusal("insufficient_balance", "The balance does not cover this order")
    await store.insert_movement(tx.conn, domain.movement(domain.user_account(order["user_id"]), "sales",
                                                         decision.charge_fen), kind="order_payment", ref=payment_id)
    payment = await _insert_payment(tx, order, payment_id, decision, status="succeeded", paid_at=deps.clock.now())
    await _confirmed(deps, tx, order, payment, trade_no=None)
    return payment


async def _pay_later(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, payment_id: str, decision: PayDecision,
                     score: int | None) -> asyncpg.Record:
    await bills.reserve(deps, tx, user_id=order["user_id"], score=score, amount_fen=decision.payable_fen)
    payment = await _insert_payment(tx, order, payment_id, decision, status="succeeded", paid_at=deps.clock.now())
    await store.insert_bill(tx.conn, bill_id=str(uuid.uuid4()), payment_id=payment_id, order_id=order["order_id"],
                            user_id=order["user_id"], amount_fen=decision.payable_fen,
                            due_at=deps.clock.now() + timedelta(days=deps.settings.pay_later_days))
    await _confirmed(deps, tx, order, payment, trade_no=None)
    return payment


async def _open_trade(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, payment_id: str, decision: PayDecision,
                      alipay_user_id: str) -> asyncpg.Record:
    out_trade_no = domain.out_trade_no("p", payment_id)
    plan = decision.plan
    # Asked first, then both rows written with Alipay's trade_no (two statements fewer than writing them and
    # then their trade_no): a refusal or a crash rolls back either order alike, and nobody can pay the trade
    # before this transaction answers with it.
    trade_no = await create_trade(
        deps, out_trade_no=out_trade_no, amount_fen=decision.charge_fen, subject=order["subject"],
        buyer_id=alipay_user_id, hb_fq_num=plan.installments if plan else None,
        hb_fq_seller_percent=domain.seller_percent(plan.fee_payer) if plan else None)
    payment = await _insert_payment(tx, order, payment_id, decision, status="pending", out_trade_no=out_trade_no,
                                    trade_no=trade_no)
    await store.insert_trade(tx.conn, out_trade_no=out_trade_no, purpose="payment", ref_id=payment_id,
                             user_id=order["user_id"], amount_fen=decision.charge_fen, trade_no=trade_no)
    return payment


async def create_trade(deps: PaymentsDeps, *, out_trade_no: str, amount_fen: int, subject: str, buyer_id: str,
                       hb_fq_num: int | None = None, hb_fq_seller_percent: int | None = None) -> str:
    # A 2088… id is a legacy user_id; anything else is an app-scoped open_id (notes §1.2).
    by_user_id = buyer_id.startswith("2088") and len(buyer_id) == 16 and buyer_id.isdigit()
    try:
        return await deps.alipay.trade_create(
            out_trade_no=out_trade_no, amount_fen=amount_fen, subject=domain.trade_subject(subject),
            notify_url=deps.settings.alipay_notify_url, buyer_id=buyer_id if by_user_id else None,
            buyer_open_id=None if by_user_id else buyer_id, hb_fq_num=hb_fq_num,
            hb_fq_seller_percent=hb_fq_seller_percent, timeout_express=deps.settings.trade_timeout_express)
    except AlipayError as exc:
        log.warning("trade.create refused", out_trade_no=out_trade_no, code=exc.code, sub_code=exc.sub_code)
        raise Refusal("alipay_refused", f"Alipay refused the trade: {exc.sub_msg or exc.sub_code}") from None
    except AlipayResponseError as exc:
        raise AlipayUnavailable(str(exc)) from None


async def _insert_payment(tx: Tx, order: asyncpg.Record, payment_id: str, decision: PayDecision, *,
                          status: str, out_trade_no: str | None = None, trade_no: str | None = None,
                          paid_at: datetime | None = None) -> asyncpg.Record:
    plan = decision.plan
    return await store.insert_payment(
        tx.conn, id=payment_id, order_id=order["order_id"], user_id=order["user_id"],
        merchant_id=order["merchant_id"], method=decision.method, status=status, amount_fen=decision.payable_fen,
        deposit_fen=decision.deposit_fen, installments=plan.installments if plan else None,
        fee_payer=plan.fee_payer if plan else None, fee_fen=plan.fee_fen if plan else None,
        per_period_fen=plan.per_period_fen if plan else None, out_trade_no=out_trade_no, trade_no=trade_no,
        paid_at=paid_at)


async def _record_deposit(tx: Tx, order: asyncpg.Record, payment_id: str, decision: PayDecision,
                          score: int | None, *, paid: bool) -> None:
    if decision.deposit in ("none", "fund_auth"):  # a fund-authorised deposit was recorded when asked for
        return
    status = "waived" if decision.deposit == "waived" else ("held" if paid else "pending")
    await store.save_deposit(tx.conn, order_id=order["order_id"], user_id=order["user_id"], payment_id=payment_id,
                             amount_fen=order["deposit_fen"], credit_score=score, status=status)


async def _confirmed(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, payment: asyncpg.Record, *,
                     trade_no: str | None) -> None:
    await store.mark_order_paid(tx.conn, order["order_id"])
    await tx.emit(payment_confirmed(payment, trade_no, deps.clock.now()))


def payment_confirmed(payment: asyncpg.Record, trade_no: str | None, paid_at: datetime) -> PaymentConfirmed:
    """The one way payment.confirmed is built: from the payment's row, however the money came."""
    return PaymentConfirmed(
        payment_id=payment["id"], order_id=payment["order_id"], user_id=payment["user_id"],
        merchant_id=payment["merchant_id"], method=payment["method"], amount_fen=payment["amount_fen"],
        installments=payment["installments"], fee_payer=payment["fee_payer"], trade_no=trade_no,
        paid_at=paid_at, deposit_fen=payment["deposit_fen"])


# --- top-ups -----------------------------------------------------------------------------------------------


async def top_up(deps: PaymentsDeps, tx: Tx, *, user_id: str, alipay_user_id: str | None, amount_fen: int
                 ) -> dict[str, Any]:
    rules = deps.settings.rules
    if amount_fen > rules.top_up_max_fen:
        raise Refusal("top_up_too_large", f"A top-up is at most {rules.top_up_max_fen} fen")
    if not alipay_user_id:
        raise Refusal("alipay_user_required", "Paying through Alipay needs the buyer's Alipay user id", 422)
    top_up_id = str(uuid.uuid4())
    bonus = domain.top_up_bonus(amount_fen, rules)
    out_trade_no = domain.out_trade_no("t", top_up_id)
    await store.insert_top_up(tx.conn, top_up_id=top_up_id, user_id=user_id, amount_fen=amount_fen, bonus_fen=bonus,
                              out_trade_no=out_trade_no)
    await store.insert_trade(tx.conn, out_trade_no=out_trade_no, purpose="top_up", ref_id=top_up_id,
                             user_id=user_id, amount_fen=amount_fen)
    trade_no = await create_trade(deps, out_trade_no=out_trade_no, amount_fen=amount_fen, subject="余额充值 top-up",
                                  buyer_id=alipay_user_id)
    await store.set_trade_no(tx.conn, out_trade_no, trade_no)
    await store.set_top_up_status(tx.conn, top_up_id, "pending", trade_no)
    return {"top_up_id": top_up_id, "status": "pending", "amount_fen": amount_fen, "bonus_fen": bonus,
            "trade_no": trade_no}


# --- a trade's outcome (from a verified notify or from alipay.trade.query) -----------------------------------


async def apply_trade_status(deps: PaymentsDeps, tx: Tx, trade: asyncpg.Record, status: str, *, trade_no: str | None,
                             fund_channel: str | None) -> str:
    """Move our copy of a (locked) trade to Alipay's status once; returns what happened, for the log."""
    if status in domain.PAID_STATUSES:
        if trade["status"] in domain.PAID_STATUSES:
            return "already_paid"  # e.g. TRADE_SUCCESS -> TRADE_FINISHED: nothing changes for us
        await store.set_trade_status(tx.conn, trade["out_trade_no"], status, trade_no=trade_no,
                                     fund_channel=fund_channel, paid=True)
        if trade["purpose"] == "top_up":
            await _credit_top_up(tx, trade["ref_id"], trade_no)
        elif trade["purpose"] == "bill":
            await bills.repaid(deps, tx, trade, trade_no)
        else:
            await _payment_paid(deps, tx, trade["ref_id"], trade_no)
        return "paid"
    if status == "TRADE_CLOSED" and trade["status"] == "WAIT_BUYER_PAY":
        await store.set_trade_status(tx.conn, trade["out_trade_no"], status, trade_no=trade_no,
                                     fund_channel=None, paid=False)
        if trade["purpose"] == "top_up":
            await store.set_top_up_status(tx.conn, trade["ref_id"], "failed")
            return "closed"
        if trade["purpose"] == "bill":  # the bill stays owed; the buyer can open another repayment trade
            return "closed"
        payment = await store.lock_payment(tx.conn, trade["ref_id"])
        if payment is not None and payment["status"] == "pending":
            await store.set_payment_status(tx.conn, payment["id"], "failed", reason="trade_closed")
            await tx.emit(PaymentFailed(payment_id=payment["id"], order_id=payment["order_id"],
                                        user_id=payment["user_id"], reason="trade_closed"))
        return "closed"
    return "ignored"


async def _payment_paid(deps: PaymentsDeps, tx: Tx, payment_id: str, trade_no: str | None) -> None:
    """Money arrived. It is always reported: if the order no longer wants it (cancelled, paid another way),
    orders answers with order.refund_approved and the money goes back (docs/ARCHITECTURE.md, Deadlines)."""
    payment = await store.lock_payment(tx.conn, payment_id)
    assert payment is not None
    order = await store.lock_order(tx.conn, payment["order_id"])
    assert order is not None
    if payment["status"] != "pending":
        log.warning("paid a trade we had given up", payment_id=payment_id, status=payment["status"],
                    order_status=order["status"])
    await store.set_payment_status(tx.conn, payment_id, "succeeded", paid=True, trade_no=trade_no)
    if order["status"] == "payable":
        await store.mark_order_paid(tx.conn, order["order_id"])
    deposit = await store.lock_deposit(tx.conn, order["order_id"]) if order["deposit_fen"] > 0 else None
    if deposit is not None and deposit["payment_id"] == payment_id and deposit["status"] == "pending":
        await store.set_deposit_status(tx.conn, order["order_id"], "held")
    await tx.emit(payment_confirmed(payment, trade_no, deps.clock.now()))


async def _credit_top_up(tx: Tx, top_up_id: str, trade_no: str | None) -> None:
    top = await store.lock_top_up(tx.conn, top_up_id)
    if top is None or top["status"] == "credited":
        return
    account = domain.user_account(top["user_id"])
    await store.credit_balance(tx.conn, top["user_id"], top["amount_fen"] + top["bonus_fen"])
    await store.insert_movement(tx.conn, domain.movement("cash", account, top["amount_fen"]), kind="top_up",
                                ref=top_up_id)
    if top["bonus_fen"]:
        await store.insert_movement(tx.conn, domain.movement("bonus", account, top["bonus_fen"]),
                                    kind="top_up_bonus", ref=top_up_id)
    await store.set_top_up_status(tx.conn, top_up_id, "credited", trade_no)


def fund_channel(fund_bill_list: str | None) -> str | None:
    """The first channel of a notify's `fund_bill_list` (a JSON string with camelCase `fundChannel`)."""
    try:
        bills = json.loads(fund_bill_list or "[]")
        return str(bills[0].get("fundChannel") or bills[0].get("fund_channel")) if bills else None
    except (ValueError, AttributeError, IndexError, TypeError):
        return None
