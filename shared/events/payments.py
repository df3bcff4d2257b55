"""Events published by the payments service."""

from datetime import datetime
from typing import Literal

from shared.events.base import EventData, event
from shared.events.common import Fen

Method = Literal["alipay", "huabei", "balance", "pay_later"]


@event("payment.confirmed")
class PaymentConfirmed(EventData):
    payment_id: str
    order_id: str
    user_id: str
    merchant_id: str
    method: Method
    amount_fen: Fen
    installments: int | None = None
    fee_payer: Literal["buyer", "merchant"] | None = None
    trade_no: str | None = None
    paid_at: datetime
    deposit_fen: Fen = 0  # a rental deposit collected with the payment (held, released later); not the price


@event("payment.failed")
class PaymentFailed(EventData):
    payment_id: str
    order_id: str
    user_id: str
    reason: str


@event("payment.refunded")
class PaymentRefunded(EventData):
    payment_id: str
    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str
    amount_fen: Fen
    total_refunded_fen: Fen
    full: bool
    # The payment never bought anything (late, second or wrong-amount, given back at once): analytics
    # leaves the payment and this refund out of its counts. Copied from order.refund_approved.
    unwanted: bool = False


@event("payment.refund_failed")
class PaymentRefundFailed(EventData):
    """An approved refund payments could not carry out (nothing paid, or more than what is left to refund)."""

    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str
    amount_fen: Fen
    reason: str  # not_paid, refund_exceeds_paid, refund_invalid, alipay_refused


# --- pay-later bills (for a messaging service to tell the buyer) ------------------------------------------


@event("bill.due_soon", version=1)
class BillDueSoon(EventData):
    """A pay-later bill falls due within `pay_later_remind_days`."""

    bill_id: str
    order_id: str
    user_id: str
    due_fen: Fen
    due_at: datetime


@event("bill.overdue", version=1)
class BillOverdue(EventData):
    """A pay-later bill passed its due date unpaid: the buyer cannot buy on credit until it is repaid."""

    bill_id: str
    order_id: str
    user_id: str
    due_fen: Fen
    due_at: datetime


@event("bill.paid", version=1)
class BillPaid(EventData):
    """The buyer repaid a bill through its Alipay trade; its credit is free again."""

    bill_id: str
    order_id: str
    user_id: str
    amount_fen: Fen
    trade_no: str | None = None
    paid_at: datetime


@event("deposit.authorising")
class DepositAuthorising(EventData):
    """A rental's deposit waits for the buyer to confirm a Sesame deposit-free freeze (a fund authorisation):
    orders closes the rental if it is not frozen by `authorise_by`."""

    order_id: str
    user_id: str
    merchant_id: str
    amount_fen: Fen
    authorise_by: datetime


@event("deposit.frozen")
class DepositFrozen(EventData):
    """The buyer confirmed the rental deposit's freeze (Alipay's notify, or its answer to a query)."""

    order_id: str
    user_id: str
    merchant_id: str
    amount_fen: Fen
    credit_fen: Fen  # the part Sesame credit stands for
