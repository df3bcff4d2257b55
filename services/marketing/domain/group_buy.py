"""Group buying (拼团): the pure rules of a deal, a seat and a group's end. No I/O.

A deal sells one SKU at `group_price_fen` to groups of `group_size` buyers, each group open
`time_limit_hours` from its opening. A group seats at most `size` orders (seats held by unpaid orders count:
the seat is claimed at placement); it succeeds when every seat is paid, and fails at its deadline otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.refusal import Refusal


@dataclass(frozen=True)
class Deal:
    id: str
    merchant_id: str
    sku_id: str
    group_price_fen: int
    group_size: int
    time_limit_hours: int
    starts_at: datetime
    ends_at: datetime
    status: str


def check_deal_open(deal: Deal | None, merchant_id: str, sku_id: str, now: datetime) -> Deal:
    """A group opens only on a deal running now, for this SKU of this merchant."""
    if deal is None or deal.merchant_id != merchant_id:
        raise Refusal("group_deal_not_found", "No such group-buy deal", 404)
    if deal.status != "active" or not deal.starts_at <= now < deal.ends_at:
        raise Refusal("group_deal_not_running", "This group-buy deal is not running")
    if deal.sku_id != sku_id:
        raise Refusal("group_deal_sku_mismatch", "This order is not for the deal's SKU", 422)
    return deal


def check_seat(*, status: str, expires_at: datetime, now: datetime, size: int, seated: int,
               already_member: bool) -> None:
    """May one more order take a seat in this group? `seated`: seats held now (paid or not)."""
    if status != "open" or now >= expires_at:
        raise Refusal("group_closed", "This group has ended")
    if already_member:
        raise Refusal("already_in_group", "You are already in this group")
    if seated >= size:
        raise Refusal("group_full", "This group is full")


def group_discount_fen(subtotal_fen: int, qty: int, group_price_fen: int) -> int:
    """What the group price takes off the order's goods (never negative: a group price above today's price
    simply buys at today's price)."""
    return max(subtotal_fen - group_price_fen * qty, 0)


def expires_at(opened_at: datetime, time_limit_hours: int) -> datetime:
    return opened_at + timedelta(hours=time_limit_hours)


def mask_nickname(nickname: str) -> str:
    """Strangers see a member as the first character and stars ('张**'); no name is '匿名'."""
    nickname = nickname.strip()
    return f"{nickname[0]}**" if nickname else "匿名"


def seconds_left(expires: datetime, now: datetime) -> int:
    return max(int((expires - now).total_seconds()), 0)
