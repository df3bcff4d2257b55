"""The reconciliation job: trades still waiting after a while are asked about (`alipay.trade.query`), so a
lost notify never leaves a paid order unpaid. Safe with several replicas (rows claimed with SKIP LOCKED)."""

from __future__ import annotations

from services.payments import paying, store
from services.payments.deps import PaymentsDeps
from shared.alipay import AlipayError, AlipayResponseError
from shared.logging import get_logger

log = get_logger("payments").bind(component="reconcile")


async def reconcile_once(ctx: PaymentsDeps, limit: int = 50) -> int:
    """Query the waiting trades once; returns how many changed."""
    async with ctx.db.transaction() as tx:
        waiting = await store.claim_waiting_trades(tx.conn, ctx.settings.reconcile_after_s, limit)
    changed = 0
    for out_trade_no in waiting:
        try:
            result = await ctx.alipay.trade_query(out_trade_no)
        except AlipayError as exc:  # ACQ.TRADE_NOT_EXIST: the buyer never opened the cashier
            log.info("trade not found at Alipay", out_trade_no=out_trade_no, sub_code=exc.sub_code)
            continue
        except AlipayResponseError as exc:
            log.warning("trade query failed", out_trade_no=out_trade_no, error=str(exc))
            continue
        async with ctx.db.transaction() as tx:
            trade = await store.lock_trade(tx.conn, out_trade_no)
            if trade is None:
                continue
            if result.total_fen != trade["amount_fen"]:
                log.error("trade amount differs at Alipay", out_trade_no=out_trade_no,
                          ours=trade["amount_fen"], alipay=result.total_fen)
                continue
            outcome = await paying.apply_trade_status(
                ctx, tx, trade, result.trade_status, trade_no=result.trade_no or None,
                fund_channel=result.fund_channels[0] if result.fund_channels else None)
        if outcome in ("paid", "closed"):
            changed += 1
            log.info("trade reconciled", out_trade_no=out_trade_no, outcome=outcome)
    return changed
