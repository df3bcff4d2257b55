"""Group buying's use cases: claiming a seat for a placed order, a paid seat (and the group's success), a
released seat, and the deadline that fails a group short of members.

Every change of a group's seats happens with the group row locked, so concurrent orders claim seats one after
another and a group never seats more orders than its size; success (from a payment) and failure (from the
deadline job) meet on the same lock, so a group ends once.
"""

from __future__ import annotations

from datetime import datetime

from services.marketing.domain import group_buy as rules
from services.marketing.store import group_buy as group_db
from shared.db import Database, Tx
from shared.events.marketing import GroupBuyFailed, GroupBuySucceeded
from shared.events.orders import OrderPlaced
from shared.refusal import Refusal


async def claim_seat(tx: Tx, placed: OrderPlaced, now: datetime) -> int:
    """Seat the order in its group (opening the group first for an opener's order); the group discount it
    gets. Refusals: group_deal_*, group_closed, group_full, already_in_group, group_buy_one_item."""
    ref = placed.group_buy
    assert ref is not None
    if len(placed.lines) != 1 or placed.lines[0].qty != 1:
        raise Refusal("group_buy_one_item", "A group-buy order is one unit of the deal's SKU", 422)
    line = placed.lines[0]
    if ref.deal_id is not None:  # the opener: the group is made now, with the id orders gave it
        row = await group_db.get_deal(tx.conn, ref.deal_id)
        deal = rules.check_deal_open(group_db.deal_of(row) if row else None, placed.merchant_id, line.sku_id, now)
        await group_db.open_group(tx.conn, group_id=ref.group_id, deal=deal, now=now,
                                  expires=rules.expires_at(now, deal.time_limit_hours))
    group = await group_db.lock_group(tx.conn, ref.group_id)
    if group is None:
        raise Refusal("group_not_found", "No such group", 404)
    deal_row = await group_db.get_deal(tx.conn, group["deal_id"])
    assert deal_row is not None
    if deal_row["merchant_id"] != placed.merchant_id or deal_row["sku_id"] != line.sku_id:
        raise Refusal("group_deal_sku_mismatch", "This order is not for the group's SKU", 422)
    rules.check_seat(status=group["status"], expires_at=group["expires_at"], now=now, size=group["size"],
                     seated=await group_db.count_seated(tx.conn, group["id"]),
                     already_member=await group_db.is_member(tx.conn, group["id"], placed.user_id))
    await group_db.add_member(tx.conn, group_id=group["id"], order_id=placed.order_id, user_id=placed.user_id,
                              nickname=rules.mask_nickname(ref.nickname), opener=ref.deal_id is not None, now=now)
    return rules.group_discount_fen(placed.subtotal_fen, line.qty, group["group_price_fen"])


async def seat_paid(tx: Tx, order_id: str, now: datetime) -> None:
    """The order of a seat is paid; the payment that fills the group makes it succeed."""
    seat = await group_db.seat_of_order(tx.conn, order_id)
    if seat is None:
        return  # not a group-buy order
    group = await group_db.lock_group(tx.conn, seat["group_id"])
    assert group is not None
    if await group_db.move_seat(tx.conn, order_id, "reserved", "paid", now) is None:
        return  # reported again, or the seat was released (orders refunds a payment its order cannot keep)
    if group["status"] == "open" and await group_db.count_paid(tx.conn, group["id"]) >= group["size"]:
        await group_db.end_group(tx.conn, group["id"], "succeeded", now)
        paid = [m["order_id"] for m in await group_db.members(tx.conn, group["id"]) if m["status"] == "paid"]
        await tx.emit(GroupBuySucceeded(group_id=group["id"], deal_id=group["deal_id"],
                                        merchant_id=group["merchant_id"], order_ids=paid))


async def release_seat(tx: Tx, order_id: str, now: datetime) -> None:
    """An order cancelled before payment gives its seat back (another buyer may take it)."""
    seat = await group_db.seat_of_order(tx.conn, order_id)
    if seat is not None:
        await group_db.lock_group(tx.conn, seat["group_id"])
        await group_db.move_seat(tx.conn, order_id, "reserved", "released", now)


async def fail_expired_groups(db: Database, now: datetime, batch: int = 100) -> int:
    """Fail every open group past its deadline, `batch` at a time (SKIP LOCKED: replicas share the work);
    orders refunds the paid members and cancels the unpaid ones from group_buy.failed. Returns how many."""
    failed = 0
    while True:
        async with db.transaction() as tx:
            due = await group_db.claim_expired_groups(tx.conn, now, batch)
            for group in due:
                seats = await group_db.members(tx.conn, group["id"])
                await group_db.end_group(tx.conn, group["id"], "failed", now)
                await tx.emit(GroupBuyFailed(group_id=group["id"], deal_id=group["deal_id"],
                                             merchant_id=group["merchant_id"],
                                             order_ids=[s["order_id"] for s in seats]))
        failed += len(due)
        if len(due) < batch:
            return failed
