"""Learning a trade's truth from Alipay instead of waiting for its notify.

Whoever learns a status (the notify, the buyer's return from the cashier, a cancellation that meets a paid
trade, the reconciliation job) applies it through the one function `paying.apply_trade_status`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.payments import domain, store
from services.payments.deps import PaymentsDeps
from services.payments.domain import Refusal
from services.payments.flows import paying
from shared.alipay import AlipayError, AlipayResponseError, TradeQueryResult
from shared.db import Tx
from shared.logging import get_logger

log = get_logger("payments", component="trade_truth")
_LATE: set[asyncio.Future[str]] = set()  # queries a check stopped waiting for, kept until they finish


async def learn_trade(deps: PaymentsDeps, out_trade_no: str) -> str:
    """Ask Alipay about one trade and apply the answer in a transaction of its own; the outcome, for logs.
    Alipay errors are outcomes ("not_found", "unanswered"): the caller's next round asks again."""
    result = await query_trade(deps, out_trade_no)
    if isinstance(result, str):
        return result
    return await apply_answer(deps, out_trade_no, result)


async def query_trade(deps: PaymentsDeps, out_trade_no: str) -> TradeQueryResult | str:
    """Alipay's answer about a trade, or why there is none ("not_found", "unanswered")."""
    try:
        return await deps.alipay.trade_query(out_trade_no)
    except AlipayError as exc:  # ACQ.TRADE_NOT_EXIST: the buyer never opened the cashier
        log.info("trade not found at Alipay", out_trade_no=out_trade_no, sub_code=exc.sub_code)
        return "not_found"
    except AlipayResponseError as exc:
        log.warning("trade query failed", out_trade_no=out_trade_no, error=str(exc))
        return "unanswered"


async def apply_answer(deps: PaymentsDeps, out_trade_no: str, result: TradeQueryResult) -> str:
    async with deps.db.transaction() as tx:
        return await apply_queried(deps, tx, out_trade_no, result)


async def apply_queried(deps: PaymentsDeps, tx: Tx, out_trade_no: str, result: TradeQueryResult) -> str:
    """Apply an `alipay.trade.query` answer exactly as a notify with that status would be applied."""
    trade = await store.lock_trade(tx.conn, out_trade_no)
    if trade is None:
        return "unknown_trade"
    if result.amount_fen != trade["amount_fen"]:
        log.error("trade amount differs at Alipay", out_trade_no=out_trade_no, ours=trade["amount_fen"],
                  alipay=result.amount_fen)
        return "amount_mismatch"
    outcome = await paying.apply_trade_status(
        deps, tx, trade, result.trade_status, trade_no=result.trade_no or None,
        fund_channel=result.fund_channels[0] if result.fund_channels else None)
    if outcome in ("paid", "closed"):
        log.info("trade learned from a query", out_trade_no=out_trade_no, outcome=outcome)
    return outcome


async def check_payment(deps: PaymentsDeps, *, order_id: str, user_id: str) -> dict[str, Any]:
    """The buyer is back from the cashier: ask Alipay about the order's open trade and apply the answer.
    At most one query per order per `payment_check_interval_s`; in between, the answer is what we know."""
    state = await store.order_payment_state(deps.db, order_id)
    if state is None or state["order_user_id"] != user_id:
        raise Refusal("order_not_found", "No such order", 404)
    due: list[str] = []
    if state["status"] == "pending":  # the order's latest payment; an earlier one is closed when it is made
        due = await store.claim_trade_checks(deps.db, order_id, deps.settings.payment_check_interval_s)
    if due:
        learning = [asyncio.ensure_future(learn_trade(deps, out_trade_no)) for out_trade_no in due]
        _, slow = await asyncio.wait(learning, timeout=deps.settings.payment_check_timeout_s)
        for task in slow:  # the buyer is not kept waiting: what we know now; the answer applies when it comes
            log.warning("trade query too slow for the check", order_id=order_id)
            _LATE.add(task)
            task.add_done_callback(_LATE.discard)
    if due or state["status"] == "pending":
        # Read again: what the query applied, or the notify's payment when the claim met the notify being applied
        # (it waited for the trade's row, then found it paid). Without this read the check answered "pending"
        # for a payment already made, and the buyer asked again (half the bench's first checks).
        state = await store.order_payment_state(deps.db, order_id)
        assert state is not None  # payable orders are never deleted
    return {"order_id": order_id, "status": domain.ORDER_STATUS[state["order_status"]],
            "payment": paying.payment_view(state) if state["id"] is not None else None}


async def close_or_learn(deps: PaymentsDeps, tx: Tx, out_trade_no: str | None) -> str:
    """Close the trade of an order that no longer wants it. If the buyer paid it (the notify lost or still
    on its way), Alipay answers ACQ.TRADE_HAS_SUCCESS: learn and apply the payment now, in this transaction,
    so orders hears of it at once and has the unwanted money refunded. Transport errors propagate (the
    event is retried: closing twice is harmless)."""
    if not out_trade_no:
        return "no_trade"
    try:
        await deps.alipay.trade_close(out_trade_no)
        return "closed"
    except AlipayError as exc:
        if exc.sub_code != "ACQ.TRADE_HAS_SUCCESS":  # never opened in the cashier: nothing to close
            log.info("trade not closed", out_trade_no=out_trade_no, sub_code=exc.sub_code)
            return "not_closed"
    result = await deps.alipay.trade_query(out_trade_no)
    outcome = await apply_queried(deps, tx, out_trade_no, result)
    log.warning("trade paid after its order was cancelled", out_trade_no=out_trade_no, outcome=outcome)
    return "paid" if outcome in ("paid", "already_paid") else outcome
