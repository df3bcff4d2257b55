"""Coupon rules: what a coupon takes off a cart, when it may be used, and how long it lives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.money import MIN_PAYABLE_FEN, percent_of

Kind = Literal["fixed", "percent", "free_shipping"]  # free_shipping: waives freight up to cap_fen


class Rejection(Exception):
    """Why a coupon or points cannot be used; `code` is the stable reason in promotion.rejected and 409s."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code


@dataclass(frozen=True)
class Rule:
    """The money part of a coupon template."""

    kind: Kind
    amount_fen: int | None = None        # fixed: amount off
    threshold_fen: int = 0               # 满减: the eligible amount must reach this
    percent_off_bp: int | None = None    # percent: share off in basis points (1500 = 15% off, "8.5折")
    cap_fen: int | None = None           # percent: at most this much off; free_shipping: most freight waived
    merchant_id: str | None = None       # None: any merchant
    category_id: str | None = None       # None: every line

    @property
    def face_value_fen(self) -> int:
        """The most one coupon can cost: what a claim reserves against the campaign budget."""
        value = self.amount_fen if self.kind == "fixed" else self.cap_fen
        assert value is not None
        return value


@dataclass(frozen=True)
class CartLine:
    sku_id: str
    product_id: str
    qty: int
    unit_price_fen: int
    category_id: str | None = None


@dataclass(frozen=True)
class Cart:
    merchant_id: str
    lines: Sequence[CartLine]
    subtotal_fen: int
    freight_fen: int = 0  # the express freight of the chosen delivery (what a free-shipping coupon waives)


def eligible_fen(rule: Rule, cart: Cart) -> int:
    """The part of the cart the coupon's scope covers (a category coupon only counts that category)."""
    if rule.merchant_id is not None and rule.merchant_id != cart.merchant_id:
        return 0
    if rule.category_id is None:
        return cart.subtotal_fen
    return sum(line.qty * line.unit_price_fen for line in cart.lines if line.category_id == rule.category_id)


def _eligible_base(rule: Rule, cart: Cart) -> int:
    base = eligible_fen(rule, cart)
    if base <= 0:
        raise Rejection("coupon_not_applicable", "the coupon does not cover anything in this order")
    if base < rule.threshold_fen:
        raise Rejection("below_threshold", f"the coupon needs {rule.threshold_fen} fen of eligible goods")
    return base


@dataclass(frozen=True)
class Off:
    """What a coupon takes off: from the goods, or from the freight (only a free-shipping coupon)."""

    goods_fen: int
    freight_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.goods_fen + self.freight_fen


def coupon_off(rule: Rule, cart: Cart) -> Off:
    """A free-shipping coupon waives the freight (up to its cap) and takes nothing off the goods; any other
    coupon takes off the goods only (`discount_fen`). Raises Rejection when the coupon does not apply: a
    free-shipping coupon needs freight to waive (express, not free already)."""
    if rule.kind != "free_shipping":
        return Off(discount_fen(rule, cart))
    _eligible_base(rule, cart)  # scope and threshold, on the goods as for every coupon
    if cart.freight_fen <= 0:
        raise Rejection("coupon_not_applicable", "this order has no freight to waive")
    assert rule.cap_fen is not None
    return Off(0, min(cart.freight_fen, rule.cap_fen))


def discount_fen(rule: Rule, cart: Cart) -> int:
    """What the coupon takes off the goods of this cart; raises Rejection when it does not apply.

    Never more than the eligible amount, and never so much that nothing is left to pay.
    """
    base = _eligible_base(rule, cart)
    if rule.kind == "free_shipping":
        return 0
    if rule.kind == "fixed":
        assert rule.amount_fen is not None
        off = rule.amount_fen
    else:
        assert rule.percent_off_bp is not None and rule.cap_fen is not None
        off = min(percent_of(base, rule.percent_off_bp), rule.cap_fen)
    return max(0, min(off, base, cart.subtotal_fen - MIN_PAYABLE_FEN))


def expires_at(claimed_at: datetime, valid_until: datetime | None, valid_days: int | None) -> datetime:
    """Validity is absolute (a date) or relative to the claim (so many days)."""
    if valid_until is not None:
        return valid_until
    assert valid_days is not None
    return claimed_at + timedelta(days=valid_days)


def coupon_status(stored: str, expires: datetime, now: datetime) -> str:
    """What a user sees: available, locked (held by an unpaid order), used or expired."""
    if stored == "available" and expires <= now:
        return "expired"
    return stored


def check_usable(*, owner: str, user_id: str, status: str, expires: datetime, now: datetime) -> None:
    """May this user put this coupon on a new order now?"""
    if owner != user_id:
        raise Rejection("coupon_not_found")
    if status != "available":
        raise Rejection("coupon_in_use" if status == "locked" else "coupon_used")
    if expires <= now:
        raise Rejection("coupon_expired")


def credit_allows(min_score: int | None, score: int | None) -> bool:
    """Credit-gated offers: an unknown score never passes a gate."""
    return min_score is None or (score is not None and score >= min_score)
