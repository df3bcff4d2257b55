"""Pure rules of pay-later credit (信用购): the limit per Sesame tier, used and available credit, what a bill
still owes after refunds and repayment, and when a buyer may not buy on credit. No I/O.

Used credit is the sum of what the buyer's unpaid bills still owe; it is never stored apart from the bills,
so a refund or a repayment frees credit by changing its bill and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from services.payments.domain import Refusal, sesame_tier

TIERS = ("poor", "fair", "good", "very_good", "excellent")
BillStatus = Literal["open", "overdue", "paid", "cancelled"]
OUTSTANDING: tuple[BillStatus, ...] = ("open", "overdue")


@dataclass(frozen=True)
class Bill:
    amount_fen: int  # what the buyer bought on credit
    refunded_fen: int = 0  # given back since (before repayment: the bill shrinks; after: money goes back)
    status: BillStatus = "open"

    @property
    def due_fen(self) -> int:
        return self.amount_fen - self.refunded_fen if self.status in OUTSTANDING else 0


@dataclass(frozen=True)
class CreditLine:
    limit_fen: int
    used_fen: int

    @property
    def available_fen(self) -> int:
        return max(self.limit_fen - self.used_fen, 0)

    def view(self) -> dict[str, int]:
        return {"limit_fen": self.limit_fen, "used_fen": self.used_fen, "available_fen": self.available_fen}


def limit_for(score: int | None, limits_fen: Mapping[str, int]) -> int:
    """The credit limit of the buyer's Sesame tier; no score, or a tier without a limit, gets none."""
    if score is None:
        return 0
    return max(limits_fen.get(sesame_tier(score), 0), 0)


def used_fen(bills: Iterable[Bill]) -> int:
    return sum(bill.due_fen for bill in bills)


def check_pay_later(line: CreditLine, amount_fen: int, *, overdue: bool) -> None:
    """May the buyer add `amount_fen` to their credit? Raises Refusal when not."""
    if overdue:
        raise Refusal("bill_overdue", "A pay-later bill is overdue: repay it before buying on credit again")
    if line.limit_fen <= 0 or amount_fen > line.available_fen:
        raise Refusal("credit_limit_exceeded",
                      f"Pay later has {line.available_fen} fen of {line.limit_fen} fen credit available")


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    """Overdue once the due date has passed, whether or not the job has marked it yet."""
    return status == "overdue" or (status == "open" and due_at <= now)


def shown_status(status: str, due_at: datetime, now: datetime) -> str:
    return "overdue" if is_overdue(status, due_at, now) else status


def after_refund(bill: Bill, amount_fen: int) -> Bill:
    """An unpaid bill shrinks (and is cancelled at zero); a repaid one keeps its status, the money goes back."""
    if amount_fen <= 0 or amount_fen > bill.amount_fen - bill.refunded_fen:
        raise Refusal("refund_exceeds_paid", f"Only {bill.amount_fen - bill.refunded_fen} fen can be refunded")
    refunded = bill.refunded_fen + amount_fen
    cancelled = bill.status in OUTSTANDING and refunded == bill.amount_fen
    return replace(bill, refunded_fen=refunded, status="cancelled" if cancelled else bill.status)


def after_repayment(bill: Bill, paid_fen: int) -> Bill:
    """A repayment settles the bill only if it paid exactly what the bill owes now."""
    if bill.status not in OUTSTANDING or paid_fen != bill.due_fen or paid_fen <= 0:
        raise Refusal("bill_not_payable", "The bill does not owe this amount")
    return replace(bill, status="paid")
