"""集分宝-style points: 100 points = ¥1 (1 point = 1 fen), usable from a balance of 10, never negative."""

from __future__ import annotations

from dataclasses import dataclass

from services.marketing.domain.coupons import MIN_PAYABLE_FEN, Rejection

POINT_FEN = 1          # 100 points = 1 yuan = 100 fen
MIN_BALANCE_TO_SPEND = 10


def points_to_spend(requested: int, available: int, room_fen: int) -> int:
    """How many points an order spends: what the buyer asked, capped so the order still costs 1 fen.

    Asking for more than one owns is refused (the buyer would pay more than they agreed to);
    asking for more than the order can absorb is capped (nobody pays more than shown).
    """
    if requested <= 0:
        return 0
    if available < MIN_BALANCE_TO_SPEND:
        raise Rejection("points_insufficient", f"points are usable from a balance of {MIN_BALANCE_TO_SPEND}")
    if requested > available:
        raise Rejection("points_insufficient", f"{requested} points asked, {available} available")
    return max(0, min(requested, (room_fen - MIN_PAYABLE_FEN) // POINT_FEN))


def points_earned(paid_fen: int, points_per_yuan: int) -> int:
    """Points for a payment: so many per whole yuan paid."""
    return (max(paid_fen, 0) // 100) * points_per_yuan


@dataclass(frozen=True)
class Clawback:
    asked: int      # what this refund takes back
    taken: int      # what the balance could give
    shortfall: int  # what was owed but not there (recorded, never a negative balance)


def clawback(*, earned: int, already_asked: int, paid_fen: int, total_refunded_fen: int,
             full: bool, spendable: int) -> Clawback:
    """Points to take back after a refund, proportional to the refunded share of the payment.

    Cumulative: the target is earned × refunded / paid (all of it on a full refund), minus what earlier
    refunds already asked, so several partial refunds add up to the whole.
    """
    if full or paid_fen <= 0 or total_refunded_fen >= paid_fen:
        target = earned
    else:
        target = earned * max(total_refunded_fen, 0) // paid_fen
    asked = max(0, target - already_asked)
    taken = min(asked, max(spendable, 0))
    return Clawback(asked=asked, taken=taken, shortfall=asked - taken)
