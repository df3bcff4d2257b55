"""Issuing a coupon to a user: every limit is a conditional write, so concurrent claims never overshoot.

Used by the claim API, store claim codes and fission rewards. Runs inside the caller's transaction: any
refusal raises a Refusal and the caller's transaction rolls back whatever was taken before it.
"""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from services.marketing.domain.coupons import credit_allows, expires_at
from services.marketing.store import campaigns as campaigns_db
from services.marketing.store import coupons as coupons_db
from services.marketing.store import new_id
from services.marketing.store import vouchers as vouchers_db
from shared.db import Tx
from shared.events.marketing import CouponClaimed
from shared.refusal import Refusal


def campaign_running(campaign: Record, now: datetime) -> bool:
    return (campaign["status"] == "active" and campaign["starts_at"] <= now
            and (campaign["ends_at"] is None or campaign["ends_at"] > now))


async def issue_coupon(tx: Tx, template: Record, user_id: str, *, source: str, now: datetime,
                       credit_score: int | None = None, check_credit: bool = True,
                       alipay_user_id: str | None = None) -> Record:
    """The coupon, with `coupon.claimed` in the same transaction; a Refusal when any limit says no. A buyer
    with an Alipay id gets an Alipay voucher of a published template into the card package too (a report
    the voucher job makes, `flows.vouchers`)."""
    conn = tx.conn
    # The campaign row is locked first and held to commit: every issuing path (claim, store code, fission
    # reward and friend gift) then takes campaign → template → user rows in that order, so two of them can
    # never wait on each other (a fission join issues from two templates of one campaign).
    campaign = await campaigns_db.get_campaign(conn, template["campaign_id"], for_update=True)
    assert campaign is not None
    if not campaign_running(campaign, now):
        raise Refusal("campaign_not_running", "The campaign is not running")
    if template["valid_until"] is not None and template["valid_until"] <= now:
        raise Refusal("coupon_expired", "The coupon's validity has ended")
    if check_credit and not credit_allows(template["min_credit_score"], credit_score):
        raise Refusal("credit_too_low", "This offer needs a higher Sesame score",
                       min_credit_score=template["min_credit_score"])
    if not await campaigns_db.take_template_stock(conn, template["id"]):
        raise Refusal("coupon_sold_out", "All coupons of this offer have been claimed")
    if not await campaigns_db.take_user_allowance(conn, template["id"], user_id, template["per_user_limit"]):
        raise Refusal("claim_limit_reached", "You already hold as many of these coupons as allowed")
    face_value = template["amount_fen"] if template["kind"] == "fixed" else template["cap_fen"]
    if not await campaigns_db.commit_budget(conn, template["campaign_id"], face_value, now):
        raise Refusal("budget_exhausted", "The campaign's budget is spent")
    coupon = await coupons_db.insert_coupon(
        conn, coupon_id=new_id("cpn"), template=template, user_id=user_id, source=source, claimed_at=now,
        expires_at=expires_at(now, template["valid_until"], template["valid_days"]))
    if alipay_user_id:
        await vouchers_db.set_alipay_user(conn, coupon["id"], alipay_user_id)
        await vouchers_db.owe(conn, coupon_id=coupon["id"], action="send", order_id=None, total_fen=None, now=now)
    await tx.emit(CouponClaimed(coupon_id=coupon["id"], template_id=template["id"],
                                campaign_id=template["campaign_id"], user_id=user_id,
                                merchant_id=template["merchant_id"]))
    return coupon


def coupon_view(row: Record, now: datetime) -> dict[str, object]:
    from services.marketing.domain.coupons import coupon_status

    view: dict[str, object] = {
        "id": row["id"], "template_id": row["template_id"], "campaign_id": row["campaign_id"],
        "merchant_id": row["merchant_id"], "status": coupon_status(row["status"], row["expires_at"], now),
        "source": row["source"], "claimed_at": row["claimed_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat(),
        # In the buyer's Alipay card package as a merchant voucher (商家券) once the voucher job sent it.
        "alipay_voucher": row["voucher_code"] is not None}
    if "name" in row.keys():  # listed with its template
        view.update({k: row[k] for k in ("name", "kind", "amount_fen", "threshold_fen", "percent_off_bp",
                                         "cap_fen", "store_id", "category_id")})
    if row["order_id"] is not None:
        view["order_id"] = row["order_id"]
    return view
