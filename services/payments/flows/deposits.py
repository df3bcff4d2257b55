"""Sesame deposit-free rentals (芝麻信用免押) by fund authorisation, for merchants that switch it on.

Instead of adding the deposit to the trade and refunding it later, the buyer confirms a credit-backed
freeze (`alipay.fund.auth.order.app.freeze`, an order string for `my.tradePay`): Sesame stands for as much as
the buyer's credit allows and only the rest is frozen in the buyer's funds; nothing is paid. When the rental
ends the merchant turns part of it into payment for damage or overdue days (`alipay.trade.pay` with the
auth_no, PREAUTH_PAY) and unfreezes the rest (`alipay.fund.auth.order.unfreeze`). Every call carries a number
made from the order (`da_`, `dr_`, `dc_`, `du_`), so a retry moves nothing twice. The freeze is learned from
Alipay's `fund_auth_freeze` notify or, when the buyer is back first, from a query (`check`).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import paying
from shared.alipay import AlipayError, AlipayResponseError
from shared.db import Tx
from shared.logging import get_logger
from shared.money import MoneyError, yuan_to_fen

log = get_logger("payments").bind(component="deposits")


def _numbers(order_id: str) -> tuple[str, str]:
    return domain.out_trade_no("da", order_id), domain.out_trade_no("dr", order_id)


def deposit_auth(deps: PaymentsDeps, deposit: asyncpg.Record, subject: str) -> dict[str, Any]:
    """What the client needs to ask the buyer for the freeze: the signed order string for my.tradePay."""
    out_order_no, out_request_no = _numbers(deposit["order_id"])
    order_str = deps.alipay.fund_auth_freeze_order_str(
        out_order_no=out_order_no, out_request_no=out_request_no, amount_fen=deposit["amount_fen"],
        order_title=domain.trade_subject(f"押金 {subject}"), category=deps.settings.sesame_deposit_category,
        service_id=deps.settings.sesame_deposit_service_id, notify_url=deps.settings.alipay_notify_url)
    return {"out_order_no": out_order_no, "out_request_no": out_request_no, "amount_fen": deposit["amount_fen"],
            "order_str": order_str}


def deposit_view(deposit: asyncpg.Record) -> dict[str, Any]:
    return {"order_id": deposit["order_id"], "mode": deposit["mode"], "status": deposit["status"],
            "amount_fen": deposit["amount_fen"], "credit_fen": deposit["credit_fen"],
            "charged_fen": deposit["charged_fen"], "auth_no": deposit["auth_no"]}


async def check(deps: PaymentsDeps, order_id: str, user_id: str) -> dict[str, Any]:
    """The buyer is back from confirming: `alipay.fund.auth.operation.detail.query` says whether it is frozen."""
    async with deps.db.transaction() as tx:
        deposit = await store.lock_deposit(tx.conn, order_id)
        if deposit is None or deposit["user_id"] != user_id or deposit["mode"] != "fund_auth":
            raise Refusal("deposit_not_found", "This order has no deposit to authorise", 404)
        if deposit["status"] == "authorising":
            out_order_no, out_request_no = _numbers(order_id)
            try:
                found = await deps.alipay.fund_auth_query(out_order_no=out_order_no, out_request_no=out_request_no)
            except AlipayError as exc:
                if exc.sub_code != "ACQ.AUTH_ORDER_NOT_EXIST":  # not confirmed yet: nothing to learn
                    log.warning("freeze query refused", order_id=order_id, sub_code=exc.sub_code)
                found = None
            except AlipayResponseError as exc:
                raise paying.AlipayUnavailable(str(exc)) from None
            if found is not None and found.status == "SUCCESS" and found.amount_fen == deposit["amount_fen"]:
                await store.set_deposit_frozen(tx.conn, order_id, auth_no=found.auth_no, credit_fen=found.credit_fen)
                deposit = await store.lock_deposit(tx.conn, order_id)
                assert deposit is not None
        return deposit_view(deposit)


async def apply_freeze_notify(deps: PaymentsDeps, params: dict[str, str]) -> bool:
    """Alipay's `fund_auth_freeze` notify (its signature verified by the caller): the buyer confirmed the
    freeze. True when it is about one of our deposits and applied (now or before): answer `success`."""
    facts = {k: params.get(k) for k in ("notify_id", "out_order_no", "auth_no", "status", "amount")}
    order_id = _order_of(params.get("out_order_no", ""))
    if params.get("app_id") != deps.settings.alipay_app_id or order_id is None:
        log.warning("freeze notify rejected", reason="not_ours", **facts)
        return False
    try:
        amount_fen, credit_fen = yuan_to_fen(params.get("amount", "")), yuan_to_fen(params.get("credit_amount") or "0")
    except MoneyError:
        log.warning("freeze notify rejected", reason="bad_amount", **facts)
        return False
    async with deps.db.transaction() as tx:
        deposit = await store.lock_deposit(tx.conn, order_id)
        if (deposit is None or deposit["mode"] != "fund_auth" or amount_fen != deposit["amount_fen"]
                or params.get("out_request_no") != _numbers(order_id)[1] or params.get("status") != "SUCCESS"
                or not params.get("auth_no")):
            log.warning("freeze notify rejected", reason="not_this_deposit", **facts)
            return False
        if deposit["status"] == "authorising":
            await store.set_deposit_frozen(tx.conn, order_id, auth_no=params["auth_no"], credit_fen=credit_fen)
            log.info("freeze notify applied", order_id=order_id, **facts)
    return True


def _order_of(out_order_no: str) -> str | None:
    """The order a freeze number (`da_` + the order's uuid without dashes) was made from."""
    kind, _, digits = out_order_no.partition("_")
    try:
        order_id = str(uuid.UUID(hex=digits))
    except ValueError:
        return None
    return order_id if kind == "da" and _numbers(order_id)[0] == out_order_no else None


async def settle(deps: PaymentsDeps, order_id: str, merchant_id: str, *, charge_fen: int,
                 reason: str) -> dict[str, Any]:
    """The rental ended: `charge_fen` of the frozen deposit becomes payment, the rest is unfrozen."""
    async with deps.db.transaction() as tx:
        order = await store.lock_order(tx.conn, order_id)
        if order is None or order["merchant_id"] != merchant_id:
            raise Refusal("order_not_found", "No such order", 404)
        deposit = await store.lock_deposit(tx.conn, order_id)
        if deposit is None:
            raise Refusal("deposit_not_found", "This order has no deposit", 404)
        if deposit["mode"] != "fund_auth":
            raise Refusal("deposit_not_authorised", "Only a fund-authorised deposit can be partly charged; "
                                                    "release a held deposit instead")
        if deposit["status"] == "released":
            return deposit_view(deposit)  # settled before (a retry)
        if deposit["status"] != "frozen":
            raise Refusal("deposit_not_held", "The buyer has not confirmed the deposit's authorisation")
        if charge_fen > deposit["amount_fen"]:
            raise Refusal("charge_exceeds_deposit", f"At most {deposit['amount_fen']} fen can be charged")
        await _charge_and_unfreeze(deps, tx, deposit, charge_fen, reason)
        deposit = await store.lock_deposit(tx.conn, order_id)
        assert deposit is not None
        return deposit_view(deposit)


async def _charge_and_unfreeze(deps: PaymentsDeps, tx: Tx, deposit: asyncpg.Record, charge_fen: int,
                               reason: str) -> None:
    order_id = deposit["order_id"]
    try:
        if charge_fen > 0:
            paid = await deps.alipay.trade_pay(
                out_trade_no=domain.out_trade_no("dc", order_id), amount_fen=charge_fen,
                subject=domain.trade_subject(f"押金转支付 {reason}"), auth_no=deposit["auth_no"],
                auth_confirm_mode="NOT_COMPLETE")
            await store.set_deposit_charged(tx.conn, order_id, charged_fen=charge_fen, trade_no=paid.trade_no)
        rest = deposit["amount_fen"] - charge_fen
        if rest > 0:
            await deps.alipay.fund_auth_unfreeze(auth_no=deposit["auth_no"],
                                                 out_request_no=domain.out_trade_no("du", order_id),
                                                 amount_fen=rest, remark=reason)
    except AlipayError as exc:
        raise Refusal("alipay_refused", f"Alipay refused: {exc.sub_code or exc.code}") from None
    except AlipayResponseError as exc:
        raise paying.AlipayUnavailable(str(exc)) from None
    await store.set_deposit_status(tx.conn, order_id, "released")


async def release_fund_auth(deps: PaymentsDeps, tx: Tx, deposit: asyncpg.Record) -> str:
    """Release without charging (the merchant's release, or the order wholly refunded): all unfrozen."""
    if deposit["status"] == "frozen":
        await _charge_and_unfreeze(deps, tx, deposit, 0, "rental ended")
        return "released"
    return str(deposit["status"])
