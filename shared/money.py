"""Money is integer fen inside the mall; yuan strings exist only at the Alipay boundary."""

import re
from dataclasses import dataclass
from decimal import Decimal

# Alipay amounts: yuan with at most two decimals, no sign, no exponent (notes/alipay-domain.md §2).
_YUAN = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$")
# The least any order may cost: Alipay cannot charge 0.00 (its trade amounts run from 0.01), so prices,
# coupons and points all stop at 1 fen. The one home of that rule.
MIN_PAYABLE_FEN = 1
ALIPAY_MAX_FEN = 100_000_000 * 100
# The most a clerk may ring up as a bare amount (到店消费) in one sale: a guard against a mistyped amount.
COUNTER_AMOUNT_MAX_FEN = 5_000_000


class MoneyError(ValueError):
    """An amount that cannot be expressed exactly in fen."""


def fen_to_yuan(fen: int) -> str:
    """12345 -> "123.45"; exact, integer arithmetic only."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise MoneyError(f"fen must be an int, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_to_fen(yuan: str) -> int:
    """"123.45" -> 12345. Refuses anything that is not an exact, non-negative yuan amount."""
    if not isinstance(yuan, str) or not _YUAN.match(yuan):
        raise MoneyError(f"not a yuan amount with at most two decimals: {yuan!r}")
    fen = Decimal(yuan) * 100
    return int(fen)


@dataclass(frozen=True)
class Payable:
    """What an order costs: the coupon discount and points actually used, and what is left to pay."""

    discount_fen: int
    points_fen: int
    payable_fen: int


def payable(subtotal_fen: int, discount_fen: int, points_fen: int, freight_fen: int = 0,
            freight_off_fen: int = 0) -> Payable:
    """What the buyer pays for goods worth `subtotal_fen`: the one formula, used by orders when it confirms an
    order and by the gateway's checkout preview. The goods never fall below MIN_PAYABLE_FEN (as on Taobao, a
    coupon worth more than the goods leaves 0.01 yuan to pay); the excess is cut from the coupon first, then
    from the points. Coupons and points apply to the goods only: freight is added after, less what a
    free-shipping coupon waives (`freight_off_fen`, never more than the freight)."""
    discount_fen, points_fen = max(discount_fen, 0), max(points_fen, 0)
    room = max(subtotal_fen - MIN_PAYABLE_FEN, 0)
    discount_fen = min(discount_fen, room)
    points_fen = min(points_fen, room - discount_fen)
    freight_due = freight_fen - min(max(freight_off_fen, 0), freight_fen)
    return Payable(discount_fen, points_fen, subtotal_fen - discount_fen - points_fen + freight_due)


def percent_of(fen: int, basis_points: int) -> int:
    """The share of an amount given in basis points (1/100 of a percent), rounded half up to a fen."""
    return (fen * basis_points + 5_000) // 10_000
