"""Pure rules of orders: pricing, the saga's decision, the state machine, refund policy. No I/O.

Refusals are `shared.refusal.Refusal` exceptions with a stable code; the shared HTTP middleware turns them
into problem documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from shared.money import MIN_PAYABLE_FEN
from shared.refusal import Refusal as Refusal  # 409 (the shop says no) or 422 (cannot be served as asked)

MAX_QTY = 99  # per SKU in one order or cart
MAX_CART_ITEMS = 100  # different SKUs in one cart
SUBJECT_MAX = 60


class Status(StrEnum):
    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # a paid pickup order waits at the store (fulfilment's pickup.ready)
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"  # the carrier reports it signed for (fulfilment's shipment.delivered)
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUNDED = "REFUNDED"


class Action(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    PAY = "pay"
    SHIP = "ship"
    DELIVER = "deliver"
    READY = "ready"  # the merchant has a pickup order's goods ready at the store
    COMPLETE = "complete"
    PICK_UP = "pick_up"  # fulfilment verified the pickup code: the buyer has the goods
    REQUEST_REFUND = "request_refund"
    REJECT_REFUND = "reject_refund"
    FAIL_REFUND = "fail_refund"
    REFUND = "refund"


S, A = Status, Action
# Keyed by action, not only by target: "back to SHIPPED" after a rejected refund is not "ship".
TRANSITIONS: Mapping[tuple[Status, Action], Status] = {
    (S.PENDING, A.CONFIRM): S.AWAITING_PAYMENT,
    (S.PENDING, A.CANCEL): S.CANCELLED,
    (S.AWAITING_PAYMENT, A.CANCEL): S.CANCELLED,
    (S.AWAITING_PAYMENT, A.PAY): S.PAID,
    (S.PAID, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.COMPLETE): S.COMPLETED,
    (S.SHIPPED, A.DELIVER): S.DELIVERED,
    (S.DELIVERED, A.COMPLETE): S.COMPLETED,
    (S.PAID, A.READY): S.READY_FOR_PICKUP,
    (S.PAID, A.PICK_UP): S.COMPLETED,
    (S.READY_FOR_PICKUP, A.PICK_UP): S.COMPLETED,
    (S.READY_FOR_PICKUP, A.REQUEST_REFUND): S.REFUND_REQUESTED,
    (S.PAID, A.REQUEST_REFUND): S.REFUND_REQUESTED,
    (S.SHIPPED, A.REQUEST_REFUND): S.REFUND_REQUESTED,
    (S.DELIVERED, A.REQUEST_REFUND): S.REFUND_REQUESTED,
    (S.COMPLETED, A.REQUEST_REFUND): S.REFUND_REQUESTED,
    (S.REFUND_REQUESTED, A.REFUND): S.REFUNDED,
}
# A refund the merchant rejects returns the order to where it was; so does one payments could not make
# (the money never moved, so the order is as it was before the request, and the buyer may ask again).
REJECTABLE_FROM = frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED})
BACK_TO: Mapping[Action, frozenset[Status]] = {
    A.REJECT_REFUND: REJECTABLE_FROM,
    A.FAIL_REFUND: frozenset({S.PAID, S.READY_FOR_PICKUP, S.SHIPPED, S.DELIVERED, S.COMPLETED}),
}


def transition(current: Status | str, action: Action, back_to: Status | str | None = None) -> Status:
    """The status after `action`, or `invalid_transition` (409)."""
    current = Status(current)
    if action in BACK_TO:
        if current is S.REFUND_REQUESTED and back_to is not None and Status(back_to) in BACK_TO[action]:
            return Status(back_to)
    elif (current, action) in TRANSITIONS:
        return TRANSITIONS[(current, action)]
    raise Refusal("invalid_transition", f"An order that is {current} cannot {action.value.replace('_', ' ')}")


# --- pricing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sku:
    """The local copy of a SKU as `sku.changed` described it last."""

    sku_id: str
    product_id: str
    merchant_id: str
    category_id: str | None
    name: str
    price_fen: int
    deposit_fen: int
    sellable: bool


@dataclass(frozen=True)
class PricedLine:
    sku_id: str
    product_id: str
    category_id: str | None
    name: str
    qty: int
    unit_price_fen: int
    deposit_fen: int  # per unit

    @property
    def line_fen(self) -> int:
        return self.unit_price_fen * self.qty


@dataclass(frozen=True)
class Priced:
    merchant_id: str
    lines: tuple[PricedLine, ...]

    @property
    def subtotal_fen(self) -> int:
        return sum(line.line_fen for line in self.lines)

    @property
    def deposit_fen(self) -> int:
        return sum(line.deposit_fen * line.qty for line in self.lines)


def merge_items(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantities per SKU (a SKU named twice counts once, with the quantities added), in first-seen order."""
    merged: dict[str, int] = {}
    for sku_id, qty in items:
        if qty < 1:
            raise Refusal("invalid_quantity", f"Quantity of {sku_id} must be at least 1", status=422)
        merged[sku_id] = merged.get(sku_id, 0) + qty
    for sku_id, qty in merged.items():
        if qty > MAX_QTY:
            raise Refusal("quantity_too_large", f"At most {MAX_QTY} of {sku_id} per order", status=422)
    return merged


def check_sellable(sku_id: str, sku: Sku | None) -> Sku:
    if sku is None:
        raise Refusal("unknown_sku", f"No such SKU: {sku_id}", status=422)
    if not sku.sellable:
        raise Refusal("sku_unavailable", f"SKU {sku_id} is not on sale", status=409)
    if sku.price_fen < MIN_PAYABLE_FEN:  # a free SKU (catalog refuses new ones) would make a 0-fen order
        raise Refusal("sku_unavailable", f"SKU {sku_id} has no price", status=409)
    return sku


def check_cart_room(other_items: int) -> None:
    """A SKU joins a cart holding `other_items` other SKUs only while the cart has room for it."""
    if other_items >= MAX_CART_ITEMS:
        raise Refusal("cart_full", f"A cart holds at most {MAX_CART_ITEMS} different items", status=409)


def check_unpaid_orders(unpaid: int, limit: int) -> None:
    """A buyer with `limit` orders still unpaid places no more: unpaid orders hold stock for the pay-by window."""
    if unpaid >= limit:
        raise Refusal("too_many_unpaid_orders",
                      f"You have {unpaid} unpaid orders; pay or cancel one before placing another", status=409)


def price_items(items: Iterable[tuple[str, int]], skus: Mapping[str, Sku]) -> Priced:
    """Lines priced from the server's SKU copy; the client never names a price. One merchant per order."""
    merged = merge_items(items)
    if not merged:
        raise Refusal("empty_order", "An order needs at least one line", status=422)
    lines: list[PricedLine] = []
    merchants: set[str] = set()
    for sku_id, qty in merged.items():
        sku = check_sellable(sku_id, skus.get(sku_id))
        merchants.add(sku.merchant_id)
        lines.append(PricedLine(sku.sku_id, sku.product_id, sku.category_id, sku.name, qty,
                                sku.price_fen, sku.deposit_fen))
    if len(merchants) > 1:
        raise Refusal("mixed_merchants", "An order holds the goods of one merchant; split the cart",
                      status=422)
    return Priced(merchants.pop(), tuple(lines))


_NOT_IN_SUBJECT = re.compile(r"[/=&\x00-\x1f\x7f]")


def subject(names: list[str]) -> str:
    """Alipay's trade title: short, and without `/ = &` (they break some of Alipay's parameter handling)."""
    first = " ".join(_NOT_IN_SUBJECT.sub(" ", names[0] if names else "").split())
    suffix = f" 等{len(names)}件" if len(names) > 1 else ""
    room = SUBJECT_MAX - len(suffix)
    title = (first[: room - 1] + "…" if len(first) > room else first) + suffix
    return title.strip() or "mpmall order"


# --- the placement saga -----------------------------------------------------------------------------

StockState = Literal["waiting", "reserved", "rejected"]
PromotionState = Literal["none", "waiting", "locked", "rejected"]


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class Cancel:
    reason: str


Decision = Confirm | Cancel | None


def promotion_needed(coupon_id: str | None, points: int) -> PromotionState:
    return "waiting" if coupon_id or points > 0 else "none"


def decide(stock: str, promotion: str, stock_reason: str | None = None,
           promotion_reason: str | None = None) -> Decision:
    """Confirm once every answer the order waits for is a yes; cancel at the first no; else keep waiting."""
    if stock == "rejected":
        return Cancel(stock_reason or "stock_rejected")
    if promotion == "rejected":
        return Cancel(promotion_reason or "promotion_rejected")
    if stock == "reserved" and promotion in ("none", "locked"):
        return Confirm()
    return None


# --- refunds ----------------------------------------------------------------------------------------

RefundRoute = Literal["approve_now", "ask_merchant"]


def refund_route(status: Status | str, completed_at: datetime | None, now: datetime,
                 return_window: timedelta) -> RefundRoute:
    """Before shipping the money goes back at once; once shipped (or received, within the return window)
    the merchant decides, because the goods have to come back."""
    status = Status(status)
    if status in (S.PAID, S.READY_FOR_PICKUP):  # goods waiting at the store were never handed over
        return "approve_now"
    if status in (S.SHIPPED, S.DELIVERED):
        return "ask_merchant"
    if status is S.COMPLETED:
        if completed_at is None or now > completed_at + return_window:
            raise Refusal("return_window_closed", "The return window of this order has closed")
        return "ask_merchant"
    if status is S.REFUND_REQUESTED:
        raise Refusal("refund_pending", "A refund of this order is already under way")
    raise Refusal("invalid_transition", f"An order that is {status} cannot be refunded")


# Orders on their way to the buyer: they complete by themselves at their auto-confirm deadline.
AWAITING_RECEIPT = frozenset({S.SHIPPED, S.DELIVERED})
