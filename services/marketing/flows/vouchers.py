"""Coupons as Alipay merchant vouchers (商家券), for a merchant that switched them on (payments'
alipay-features; the gateway checks it before publishing).

Publishing a coupon template creates its voucher activity at Alipay (`alipay.marketing.activity.ordervoucher.
create`, once: its out_biz_no is made from the template). From then on every coupon of it claimed by a buyer
with an Alipay id owes Alipay three kinds of report, each a row written in the transaction of the change it
reports (`store.vouchers.owe`): `send` on claim (the voucher goes into the buyer's card package), `use` when
the order it was redeemed in is paid, `refund` when a wholly refunded order gives it back. The row's key is
the out_biz_no Alipay sees, made from coupon, action and order: a change handled twice (a redelivered or
repeated event) makes no second row, and Alipay answers a repeated out_biz_no as the same request. The voucher
job pushes the rows outside any request; a failing call leaves the row for the next round.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.marketing.deps import MarketingDeps
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import vouchers as vouchers_db
from shared.alipay import AlipayError, AlipayResponseError
from shared.logging import get_logger
from shared.refusal import Refusal

log = get_logger("marketing").bind(component="vouchers")
BEIJING = timedelta(hours=8)  # Alipay's times are Beijing time
TIME = "%Y-%m-%d %H:%M:%S"
MAX_ATTEMPTS = 50  # a report Alipay keeps refusing stops being retried (it stays visible with its last error)


def _beijing(moment: datetime) -> str:
    return (moment + BEIJING).strftime(TIME)


async def publish(deps: MarketingDeps, merchant_id: str, template_id: str, brand_name: str) -> dict[str, Any]:
    """The template's voucher activity at Alipay (created once; again: the same)."""
    async with deps.db.pool.acquire() as conn:
        template = await campaigns_db.get_template(conn, template_id)
        if template is None or template["merchant_id"] != merchant_id:
            raise Refusal("template_not_found", "No such coupon template", 404)
        campaign = await campaigns_db.get_campaign(conn, template["campaign_id"])
        found = await vouchers_db.activity(conn, template_id)
    assert campaign is not None
    if found is None:
        if template["kind"] not in ("fixed", "percent"):  # Alipay's vouchers take money off, not freight
            raise Refusal("voucher_kind_unsupported", "Only money-off coupons can be Alipay vouchers", 409,
                          kind=template["kind"])
        start = max(campaign["starts_at"], deps.clock.now())
        end = campaign["ends_at"] or template["valid_until"] or start + timedelta(days=365)
        money: dict[str, Any] = ({"amount_fen": template["amount_fen"]} if template["kind"] == "fixed" else {
            # 1500 bp off is Alipay's "8.5" (折)
            "discount": str((Decimal(10_000 - template["percent_off_bp"]) / 1000).normalize()),
            "ceiling_fen": template["cap_fen"]})
        activity_id = await deps.alipay.voucher_activity_create(
            out_biz_no=vouchers_db.out_biz_no("create", template_id, None), name=template["name"],
            brand_name=brand_name, quantity=template["total_qty"], per_user_limit=template["per_user_limit"],
            publish_start=_beijing(start), publish_end=_beijing(end), floor_fen=template["threshold_fen"],
            valid_days=template["valid_days"],
            valid_until=_beijing(template["valid_until"]) if template["valid_until"] else None, **money)
        async with deps.db.transaction() as tx:
            found = await vouchers_db.save_activity(tx.conn, template_id, merchant_id, activity_id)
    return {"template_id": template_id, "activity_id": found["activity_id"]}


async def sync_vouchers(deps: MarketingDeps, batch: int = 50) -> int:
    """One round of the voucher job: the reports Alipay has not had yet, oldest first; how many were made."""
    made = 0
    async with deps.db.transaction() as tx:
        for row in await vouchers_db.claim_pending(tx.conn, batch, MAX_ATTEMPTS):
            now = deps.clock.now()
            code = None
            try:
                if row["action"] == "send":
                    code = await deps.alipay.voucher_send(activity_id=row["activity_id"],
                                                          out_biz_no=row["out_biz_no"],
                                                          user_id=row["alipay_user_id"])
                elif row["voucher_code"] is None:
                    continue  # its send has not gone through yet: a later round
                elif row["action"] == "use":
                    await deps.alipay.voucher_use(activity_id=row["activity_id"], voucher_code=row["voucher_code"],
                                                  out_biz_no=row["out_biz_no"], biz_dt=_beijing(now),
                                                  total_fen=row["total_fen"])
                else:
                    await deps.alipay.voucher_refund(activity_id=row["activity_id"],
                                                     voucher_code=row["voucher_code"],
                                                     out_biz_no=row["out_biz_no"], biz_dt=_beijing(now))
            except (AlipayError, AlipayResponseError) as exc:
                log.warning("voucher report not made", coupon_id=row["coupon_id"], action=row["action"],
                            error=str(exc))
                await vouchers_db.failed(tx.conn, row["out_biz_no"], str(exc))
                continue
            await vouchers_db.reported(tx.conn, row["out_biz_no"], now, code)
            made += 1
    return made
