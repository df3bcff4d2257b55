"""Promotions for one order: the same code prices a checkout preview and locks an order.placed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from services.marketing.domain.coupons import Cart, Off, Rejection, check_usable, coupon_off
from services.marketing.domain.points import POINT_FEN, points_to_spend
from services.marketing.store import coupons as coupons_db
from services.marketing.store import points as points_db
from services.marketing.store.campaigns import rule_of
from shared.db import Queryable as Connection  # reads may run on the pool


@dataclass(frozen=True)
class Priced:
    coupon_id: str | None
    discount_fen: int
    points: int
    points_fen: int
    freight_off_fen: int = 0  # freight a free-shipping coupon waives (never part of discount_fen)


async def coupon_discount(conn: Connection, user_id: str, coupon_id: str, cart: Cart, now: datetime) -> Off:
    row = await coupons_db.get_coupon_with_template(conn, coupon_id)
    if row is None:
        raise Rejection("coupon_not_found")
    check_usable(owner=row["user_id"], user_id=user_id, status=row["status"], expires=row["expires_at"], now=now)
    return coupon_off(rule_of(row), cart)


async def available_points(conn: Connection, user_id: str) -> int:
    acct = await points_db.account(conn, user_id)
    return 0 if acct is None else acct["balance"] - acct["locked"]


async def price(conn: Connection, *, user_id: str, cart: Cart, coupon_id: str | None, points: int,
                now: datetime) -> Priced:
    """Discount of the named coupon, then points on what is left; raises Rejection with a stable code."""
    off = await coupon_discount(conn, user_id, coupon_id, cart, now) if coupon_id else Off(0)
    spend = 0
    if points > 0:  # points, like coupons, apply to the goods only
        spend = points_to_spend(points, await available_points(conn, user_id), cart.subtotal_fen - off.goods_fen)
    return Priced(coupon_id=coupon_id, discount_fen=off.goods_fen, points=spend, points_fen=spend * POINT_FEN,
                  freight_off_fen=off.freight_fen)


def usable_for_cart(rows: list[Record], cart: Cart) -> list[tuple[Record, Off]]:
    """Coupons that apply to this cart with what each takes off (goods or freight), best first (earliest
    expiry on ties)."""
    usable = []
    for row in rows:
        try:
            off = coupon_off(rule_of(row), cart)
        except Rejection:
            continue
        if off.total_fen > 0:
            usable.append((row, off))
    return sorted(usable, key=lambda pair: (-pair[1].total_fen, pair[0]["expires_at"]))


async def lock(conn: Connection, *, order_id: str, user_id: str, cart: Cart, coupon_id: str | None, points: int,
               now: datetime) -> Priced:
    """Price and hold coupon and points for an order; the caller runs it in a savepoint, so a Rejection
    leaves nothing held."""
    priced = await price(conn, user_id=user_id, cart=cart, coupon_id=coupon_id, points=points, now=now)
    cost = priced.discount_fen + priced.freight_off_fen  # what the coupon costs the campaign
    if coupon_id and not await coupons_db.lock_coupon(conn, coupon_id, user_id, order_id, cost, now):
        raise Rejection("coupon_in_use", "another order holds this coupon")  # lost a race since pricing
    if priced.points and not await points_db.lock_points(conn, user_id, priced.points):
        raise Rejection("points_insufficient")
    return priced
