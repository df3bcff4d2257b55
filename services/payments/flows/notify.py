"""Alipay's async notify: verify, check it is about our trade and amount, apply once, answer `success`.
A `fund_auth_freeze` notify (a Sesame deposit-free freeze the buyer confirmed) goes to `deposits`.

Checks in the order Alipay's own sample asks for (notes §2.3): signature (with Alipay's public key), our
app_id, the seller, a trade we know, the amount we asked for. Anything that fails changes nothing and is
logged; Alipay keeps retrying it, which is what we want if the failure was ours.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from services.payments import store
from services.payments.deps import PaymentsDeps
from services.payments.flows import deposits, paying
from shared.alipay import verify_notify
from shared.logging import get_logger
from shared.money import MoneyError, yuan_to_fen

log = get_logger("payments", component="alipay_notify")


def parse_form(raw: bytes, charset: str = "utf-8") -> dict[str, str] | None:
    """The notify as Alipay posted it (x-www-form-urlencoded), decoded from the raw body."""
    try:
        text = raw.decode(charset)
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return None
    params = dict(pairs)
    return params if len(params) == len(pairs) else None  # a repeated field is not something Alipay sends


async def handle_notify(deps: PaymentsDeps, raw: bytes) -> bool:
    """True when the notify is ours and applied (now or before): answer `success`."""
    params = parse_form(raw)
    if params is None:
        log.warning("notify rejected", reason="unreadable")
        return False
    facts = {k: params.get(k) for k in ("notify_id", "out_trade_no", "trade_no", "trade_status", "total_amount")}
    if not verify_notify(params, deps.settings.alipay_public_key_pem):
        log.warning("notify rejected", reason="bad_signature", **facts)
        return False
    if params.get("notify_type") == "fund_auth_freeze":
        return await deposits.apply_freeze_notify(deps, params)
    reason = _mismatch(deps, params)
    if reason:
        log.warning("notify rejected", reason=reason, **facts)
        return False
    amount_fen = yuan_to_fen(params["total_amount"])
    async with deps.db.transaction() as tx:
        trade = await store.lock_trade(tx.conn, params["out_trade_no"])
        if trade is None:
            log.warning("notify rejected", reason="unknown_trade", **facts)
            return False
        if trade["amount_fen"] != amount_fen:
            log.warning("notify rejected", reason="amount_mismatch", expected_fen=trade["amount_fen"], **facts)
            return False
        if trade["trade_no"] and params.get("trade_no") and trade["trade_no"] != params["trade_no"]:
            log.warning("notify rejected", reason="trade_no_mismatch", **facts)
            return False
        first = await store.record_notify(tx.conn, notify_id=params["notify_id"],
                                          trade_status=params["trade_status"], out_trade_no=params["out_trade_no"],
                                          params=params)
        if not first:
            log.info("notify repeated", **facts)
            return True
        outcome = await paying.apply_trade_status(deps, tx, trade, params["trade_status"],
                                                  trade_no=params.get("trade_no"),
                                                  fund_channel=paying.fund_channel(params.get("fund_bill_list")))
    log.info("notify applied", outcome=outcome, **facts)
    return True


def _mismatch(deps: PaymentsDeps, params: dict[str, str]) -> str | None:
    for field in ("notify_id", "out_trade_no", "trade_status", "total_amount"):
        if not params.get(field):
            return f"missing_{field}"
    if params.get("app_id") != deps.settings.alipay_app_id:
        return "app_id_mismatch"
    if deps.settings.alipay_seller_id and params.get("seller_id") != deps.settings.alipay_seller_id:
        return "seller_mismatch"
    try:
        yuan_to_fen(params["total_amount"])
    except MoneyError:
        return "bad_amount"
    return None
