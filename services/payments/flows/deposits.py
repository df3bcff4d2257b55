"""Sesame deposit-free rentals (芝麻信用免押) by fund authorisation, for merchants that switch it on.

Instead of adding the deposit to the trade and refunding it later, the buyer confirms a credit-backed
freeze (`alipay.fund.auth.order.app.freeze`, an order string for `my.tradePay`): Sesame stands for as much as
the buyer's credit allows and only the rest is frozen in the buyer's funds; nothing is paid. When the rental
ends the merchant turns part of it into payment for damage or overdue days (`alipay.trade.pay` with the
auth_no, PREAUTH_PAY) and unfreezes the rest (`alipay.fund.auth.order.unfreeze`). Every call carries a number
made from the order (`da_`, `dr_`, `dc_`, `du_`), so a retry moves nothing twice. The freeze is learned from
Alipay's `fund_auth_freeze` notify or, when the buyer is back first, from a query (`check`).

The freeze comes first: the buyer asks for it (`authorise`, the client's deposit-auth) before paying, and paying
a rental whose deposit is not frozen is refused (`deposit_not_frozen`), so no rent is taken for a rental that
may yet be closed for want of its deposit. A buyer who never confirmed (closed Alipay's sheet, lost the network)
asks again: the same request while its order string is good, else, once Alipay says nothing was frozen, a new
one (the next attempt: `da2_`, `dr2_`…). Only the current attempt counts; a freeze of a superseded request, or one
confirmed after the rental was closed, is cancelled (`alipay.fund.auth.operation.cancel`), so one rental never
holds two freezes. Orders closes a rental still unconfirmed at `authorise_by` (`deposit.authorising`,
`deposit.frozen`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import paying
from shared.alipay import AlipayError, AlipayResponseError
from shared.db import Tx
from shared.events.payments import DepositAuthorising, DepositFrozen
from shared.logging import get_logger
from shared.money import MoneyError, yuan_to_fen

log = get_logger("payments").bind(component="deposits")

# An order string handed out must leave the buyer time to confirm it: one this close to expiry is renewed.
RENEW_BEFORE_EXPIRY = timedelta(minutes=2)


def _numbers(order_id: str, attempt: int = 1) -> tuple[str, str]:
    """(out_order_no, out_request_no) of the rental's `attempt`-th freeze request (the first keeps `da_`/`dr_`)."""
    suffix = str(attempt) if attempt > 1 else ""
    return domain.out_trade_no(f"da{suffix}", order_id), domain.out_trade_no(f"dr{suffix}", order_id)


def takes_fund_auth(deposit: asyncpg.Record | None, features: asyncpg.Record | None) -> bool:
    """Whether an order's deposit is (or is to be) a fund authorisation: a deposit already asked for keeps its
    way (a freeze stays one; money already asked for in a trade stays there), else the merchant's switch."""
    if deposit is not None and deposit["status"] != "waived":
        return bool(deposit["mode"] == "fund_auth")
    return bool(features and features["sesame_deposit"])


async def require_frozen(deps: PaymentsDeps, tx: Tx, order_id: str) -> None:
    """Paying a rental waits for its freeze: refused (`deposit_not_frozen`) until Alipay has it frozen. A buyer
    back from confirming may be quicker than Alipay's notify, so a deposit still authorising is asked about."""
    deposit = await store.lock_deposit(tx.conn, order_id)
    if deposit is not None and deposit["status"] == "authorising" and deposit["mode"] == "fund_auth":
        if await _learn_freeze(deps, tx, deposit):
            return
    if deposit is None or deposit["status"] != "frozen":
        raise Refusal("deposit_not_frozen", "Confirm the rental deposit's Sesame deposit-free authorisation "
                                            "(deposit-auth) before paying the rent")


async def _start_authorising(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, score: int | None) -> None:
    """The rental's deposit waits for the buyer's freeze; orders learns until when (`authorise_by`)."""
    now, settings = deps.clock.now(), deps.settings
    authorise_by = now + timedelta(minutes=settings.deposit_auth_minutes)
    await store.save_fund_auth_deposit(
        tx.conn, order_id=order["order_id"], user_id=order["user_id"], amount_fen=order["deposit_fen"],
        credit_score=score, expires_at=now + timedelta(minutes=settings.deposit_auth_order_minutes),
        authorise_by=authorise_by)
    await tx.emit(DepositAuthorising(order_id=order["order_id"], user_id=order["user_id"],
                                     merchant_id=order["merchant_id"], amount_fen=order["deposit_fen"],
                                     authorise_by=authorise_by))


def deposit_auth(deps: PaymentsDeps, deposit: asyncpg.Record, subject: str) -> dict[str, Any]:
    """What the client needs to ask the buyer for the freeze: the signed order string for my.tradePay."""
    out_order_no, out_request_no = _numbers(deposit["order_id"], deposit["auth_attempt"])
    order_str = deps.alipay.fund_auth_freeze_order_str(
        out_order_no=out_order_no, out_request_no=out_request_no, amount_fen=deposit["amount_fen"],
        order_title=domain.trade_subject(f"押金 {subject}"), category=deps.settings.sesame_deposit_category,
        service_id=deps.settings.sesame_deposit_service_id, notify_url=deps.settings.alipay_notify_url,
        timeout_express=f"{deps.settings.deposit_auth_order_minutes}m")
    return {"out_order_no": out_order_no, "out_request_no": out_request_no, "amount_fen": deposit["amount_fen"],
            "order_str": order_str}


async def current_auth(deps: PaymentsDeps, tx: Tx, deposit: asyncpg.Record, subject: str) -> dict[str, Any] | None:
    """The order string for the (locked, authorising) deposit's freeze: the same request while its order string
    is good; once it expired, a new request if Alipay froze nothing for the old one. None when Alipay had frozen
    it (the deposit is `frozen` now)."""
    now = deps.clock.now()
    expires_at = deposit["auth_expires_at"]
    if expires_at is not None and now < expires_at - RENEW_BEFORE_EXPIRY:
        return deposit_auth(deps, deposit, subject)
    if await _learn_freeze(deps, tx, deposit):
        return None
    order_id = deposit["order_id"]
    await store.next_auth_attempt(tx.conn, order_id, now + timedelta(minutes=deps.settings.deposit_auth_order_minutes))
    renewed = await store.lock_deposit(tx.conn, order_id)
    assert renewed is not None
    log.info("freeze request renewed", order_id=order_id, attempt=renewed["auth_attempt"])
    return deposit_auth(deps, renewed, subject)


def deposit_view(deposit: asyncpg.Record) -> dict[str, Any]:
    authorise_by = deposit["authorise_by"]
    return {"order_id": deposit["order_id"], "mode": deposit["mode"], "status": deposit["status"],
            "amount_fen": deposit["amount_fen"], "credit_fen": deposit["credit_fen"],
            "charged_fen": deposit["charged_fen"], "auth_no": deposit["auth_no"],
            "authorise_by": authorise_by.isoformat() if authorise_by else None}


async def _buyers_deposit(tx: Tx, order_id: str, user_id: str) -> asyncpg.Record:
    deposit = await store.lock_deposit(tx.conn, order_id)
    if deposit is None or deposit["user_id"] != user_id or deposit["mode"] != "fund_auth":
        raise Refusal("deposit_not_found", "This order has no deposit to authorise", 404)
    return deposit


async def check(deps: PaymentsDeps, order_id: str, user_id: str) -> dict[str, Any]:
    """The buyer is back from confirming: `alipay.fund.auth.operation.detail.query` says whether it is frozen."""
    async with deps.db.transaction() as tx:
        deposit = await _buyers_deposit(tx, order_id, user_id)
        if deposit["status"] == "authorising" and await _learn_freeze(deps, tx, deposit):
            deposit = await _buyers_deposit(tx, order_id, user_id)
        return deposit_view(deposit)


async def authorise(deps: PaymentsDeps, order_id: str, user_id: str, score: int | None) -> dict[str, Any]:
    """The buyer asks for the rental deposit's freeze, before paying the rent: the first time the request is
    made; a buyer who never confirmed it (closed Alipay's sheet, lost the network) asks again. The deposit as
    `check` shows it, with `deposit_auth` (the order string to confirm) while it is authorising."""
    async with deps.db.transaction() as tx:
        order = await store.lock_order(tx.conn, order_id)  # the order first, then its deposit, as paying does
        if order is None or order["user_id"] != user_id:
            raise Refusal("deposit_not_found", "This order has no deposit to authorise", 404)
        deposit = await store.lock_deposit(tx.conn, order_id)
        if deposit is None or deposit["status"] == "waived":
            await _first_request(deps, tx, order, deposit, score)
        deposit = await _buyers_deposit(tx, order_id, user_id)
        if deposit["status"] in ("closed", "released"):
            raise Refusal("deposit_closed", "This rental is closed; its deposit can no longer be authorised")
        if deposit["status"] != "authorising":
            return deposit_view(deposit)  # frozen already: nothing to ask for
        if deposit["authorise_by"] is not None and deps.clock.now() >= deposit["authorise_by"]:
            raise Refusal("deposit_auth_expired", "The time to authorise this deposit has passed")
        auth = await current_auth(deps, tx, deposit, order["subject"])
        deposit = await _buyers_deposit(tx, order_id, user_id)
        return deposit_view(deposit) | ({"deposit_auth": auth} if auth is not None else {})


async def _first_request(deps: PaymentsDeps, tx: Tx, order: asyncpg.Record, deposit: asyncpg.Record | None,
                         score: int | None) -> None:
    """The rental's first freeze request, for an order still to be paid whose merchant takes deposits so."""
    features = await store.alipay_features(tx.conn, order["merchant_id"]) if order["deposit_fen"] > 0 else None
    if order["deposit_fen"] <= 0 or not takes_fund_auth(deposit, features):
        raise Refusal("deposit_not_found", "This order has no deposit to authorise", 404)
    if order["status"] != "payable" or order["pay_by"] <= deps.clock.now():
        raise Refusal("order_not_payable", "The order can no longer be paid")
    await _start_authorising(deps, tx, order, score)


async def _learn_freeze(deps: PaymentsDeps, tx: Tx, deposit: asyncpg.Record) -> bool:
    """Ask Alipay about the (locked, authorising) deposit's current request; True when it is frozen (applied)."""
    order_id = deposit["order_id"]
    out_order_no, out_request_no = _numbers(order_id, deposit["auth_attempt"])
    try:
        found = await deps.alipay.fund_auth_query(out_order_no=out_order_no, out_request_no=out_request_no)
    except AlipayError as exc:
        if exc.sub_code != "ACQ.AUTH_ORDER_NOT_EXIST":  # not confirmed yet: nothing to learn
            log.warning("freeze query refused", order_id=order_id, sub_code=exc.sub_code)
        return False
    except AlipayResponseError as exc:
        raise paying.AlipayUnavailable(str(exc)) from None
    if found.status != "SUCCESS" or found.amount_fen != deposit["amount_fen"]:
        return False
    await _frozen(tx, deposit, auth_no=found.auth_no, credit_fen=found.credit_fen)
    return True


async def _frozen(tx: Tx, deposit: asyncpg.Record, *, auth_no: str, credit_fen: int) -> None:
    order_id = deposit["order_id"]
    await store.set_deposit_frozen(tx.conn, order_id, auth_no=auth_no, credit_fen=credit_fen)
    order = await store.payable_order(tx.conn, order_id)  # read, not locked: the order's lock comes first elsewhere
    assert order is not None
    await tx.emit(DepositFrozen(order_id=order_id, user_id=deposit["user_id"], merchant_id=order["merchant_id"],
                                amount_fen=deposit["amount_fen"], credit_fen=credit_fen))


async def apply_freeze_notify(deps: PaymentsDeps, params: dict[str, str]) -> bool:
    """Alipay's `fund_auth_freeze` notify (its signature verified by the caller): the buyer confirmed the
    freeze. True when it is about one of our deposits and applied (now or before): answer `success`. A freeze
    of a request the rental no longer wants (superseded, or the rental closed) is cancelled, never counted."""
    facts = {k: params.get(k) for k in ("notify_id", "out_order_no", "out_request_no", "auth_no", "status", "amount")}
    request = _request_of(params.get("out_order_no", ""))
    if params.get("app_id") != deps.settings.alipay_app_id or request is None:
        log.warning("freeze notify rejected", reason="not_ours", **facts)
        return False
    order_id, attempt = request
    try:
        amount_fen, credit_fen = yuan_to_fen(params.get("amount", "")), yuan_to_fen(params.get("credit_amount") or "0")
    except MoneyError:
        log.warning("freeze notify rejected", reason="bad_amount", **facts)
        return False
    async with deps.db.transaction() as tx:
        deposit = await store.lock_deposit(tx.conn, order_id)
        if (deposit is None or deposit["mode"] != "fund_auth" or amount_fen != deposit["amount_fen"]
                or params.get("out_request_no") != _numbers(order_id, attempt)[1] or params.get("status") != "SUCCESS"
                or not params.get("auth_no") or attempt > deposit["auth_attempt"]):
            log.warning("freeze notify rejected", reason="not_this_deposit", **facts)
            return False
        if deposit["auth_no"] == params["auth_no"]:
            return True  # applied before
        if deposit["status"] == "authorising" and attempt == deposit["auth_attempt"]:
            await _frozen(tx, deposit, auth_no=params["auth_no"], credit_fen=credit_fen)
            log.info("freeze notify applied", order_id=order_id, **facts)
            return True
    # Superseded by a newer request, or the rental was closed (or frozen by another request) meanwhile.
    return await _cancel_freeze(deps, order_id, attempt, facts)


async def _cancel_freeze(deps: PaymentsDeps, order_id: str, attempt: int, facts: dict[str, str | None]) -> bool:
    """Undo a freeze the rental does not want; False (Alipay notifies again, and this retries) if Alipay
    could not be told."""
    out_order_no, out_request_no = _numbers(order_id, attempt)
    try:
        action = await deps.alipay.fund_auth_cancel(out_order_no=out_order_no, out_request_no=out_request_no,
                                                    remark="freeze request no longer wanted")
    except (AlipayError, AlipayResponseError) as exc:
        log.error("unwanted freeze not cancelled", order_id=order_id, attempt=attempt, error=str(exc), **facts)
        return False
    log.warning("unwanted freeze cancelled", order_id=order_id, attempt=attempt, action=action, **facts)
    return True


def _request_of(out_order_no: str) -> tuple[str, int] | None:
    """(order id, attempt) a freeze number (`da_`, `da2_`… + the order's uuid without dashes) was made from."""
    kind, _, digits = out_order_no.partition("_")
    attempt_digits = kind.removeprefix("da")
    if not kind.startswith("da") or not (attempt_digits == "" or attempt_digits.isdigit()):
        return None
    attempt = int(attempt_digits or "1")
    try:
        order_id = str(uuid.UUID(hex=digits))
    except ValueError:
        return None
    return (order_id, attempt) if attempt >= 1 and _numbers(order_id, attempt)[0] == out_order_no else None


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
    """Release without charging (the merchant's release, or the order cancelled or wholly refunded): all
    unfrozen; a deposit still waiting for its freeze is closed (a late freeze is cancelled when it comes)."""
    if deposit["status"] == "frozen":
        await _charge_and_unfreeze(deps, tx, deposit, 0, "rental ended")
        return "released"
    if deposit["status"] == "authorising":
        await store.set_deposit_status(tx.conn, deposit["order_id"], "closed")
        return "closed"
    return str(deposit["status"])
