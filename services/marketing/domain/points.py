"""集分宝-style points: 100 points = ¥1 (1 point = 1 fen), usable from a balance of 10, never negative.

Points earned on an order are pending until it can no longer be refunded, then released into the balance."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.marketing.domain.coupons import Rejection
from shared.money import MIN_PAYABLE_FEN

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


PointsState = Literal["pending", "released", "cancelled"]


@dataclass(frozen=True)
class Account:
    """A buyer's points: `balance` owned (of which `locked` is held by unpaid orders), `debt` owed by late
    refunds. Pending points are not in the balance: they sit on their order until released."""

    balance: int = 0
    locked: int = 0
    debt: int = 0

    @property
    def spendable(self) -> int:
        return self.balance - self.locked


@dataclass(frozen=True)
class OrderPoints:
    """Points earned on one paid order: pending until released, then in the balance; `clawed` is what
    refunds asked back (cancelled while pending, clawed back from the balance after)."""

    earned: int
    clawed: int = 0
    state: PointsState = "pending"

    @property
    def remaining(self) -> int:
        return self.earned - self.clawed


@dataclass(frozen=True)
class Clawback:
    asked: int      # what this refund takes back
    cancelled: int  # of which taken off the order's pending points (never spendable)
    taken: int      # of which taken off the balance (points already released)
    shortfall: int  # released points owed but not in the balance: becomes debt, never a negative balance


@dataclass(frozen=True)
class Release:
    points: int     # the order's remaining points that leave pending
    repaid: int     # of which pay the debt first; points - repaid reach the balance net


def clawback(*, earned: int, already_asked: int, paid_fen: int, total_refunded_fen: int,
             full: bool, spendable: int, pending: bool = False) -> Clawback:
    """Points to take back after a refund, proportional to the refunded share of the payment.

    Cumulative: the target is earned × refunded / paid rounded up (all of it on a full refund), minus what earlier
    refunds already asked, so several partial refunds add up to the whole. Before release the points are
    only pending, so they are cancelled; after release they come out of the balance, the rest becomes debt.
    """
    if full or paid_fen <= 0 or total_refunded_fen >= paid_fen:
        target = earned
    else:
        target = -(-earned * max(total_refunded_fen, 0) // paid_fen)  # rounded up: no point for money given back
    asked = max(0, target - already_asked)
    if pending:
        return Clawback(asked=asked, cancelled=asked, taken=0, shortfall=0)
    taken = min(asked, max(spendable, 0))
    return Clawback(asked=asked, cancelled=0, taken=taken, shortfall=asked - taken)


def refund(acct: Account, order: OrderPoints, *, paid_fen: int, total_refunded_fen: int,
           full: bool) -> tuple[Account, OrderPoints, Clawback]:
    """A refund of the order: the account and order after it, and what it took."""
    if order.state == "cancelled":
        return acct, order, Clawback(asked=0, cancelled=0, taken=0, shortfall=0)
    back = clawback(earned=order.earned, already_asked=order.clawed, paid_fen=paid_fen,
                    total_refunded_fen=total_refunded_fen, full=full, spendable=acct.spendable,
                    pending=order.state == "pending")
    clawed = order.clawed + back.asked
    state: PointsState = "cancelled" if order.state == "pending" and clawed >= order.earned else order.state
    return (replace(acct, balance=acct.balance - back.taken, debt=acct.debt + back.shortfall),
            replace(order, clawed=clawed, state=state), back)


def release(acct: Account, order: OrderPoints) -> tuple[Account, OrderPoints, Release]:
    """Pending points become spendable, paying the debt of late refunds first."""
    if order.state != "pending":
        return acct, order, Release(points=0, repaid=0)
    points = max(order.remaining, 0)
    repaid = min(points, acct.debt)
    return (replace(acct, balance=acct.balance + points - repaid, debt=acct.debt - repaid),
            replace(order, state="released"), Release(points=points, repaid=repaid))


def repay_from_balance(acct: Account) -> int:
    """Points returning to the spendable balance (an unpaid order cancelled) pay the debt first."""
    return min(max(acct.spendable, 0), acct.debt)


def release_at(completed_at: datetime, release_days: int) -> datetime:
    """When an order's pending points become spendable: once no-reason return after receipt has closed."""
    return completed_at + timedelta(days=release_days)
