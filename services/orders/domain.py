"""Pure rules of orders: pricing, the saga's decision, the state machine, refund policy. No I/O.

Refusals are `shared.refusal.Refusal` exceptions with a stable code; the shared HTTP middleware turns them
into problem documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, cast

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
    END_REFUND = "end_refund"  # the refunds ended without taking every unit (rejected, closed, failed)
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
# A refund of the rest of the order that the merchant rejects, that the buyer never sends the goods back for,
# or that payments could not make returns the order to where it was (the buyer may ask again).
BACK_TO: Mapping[Action, frozenset[Status]] = {
    A.END_REFUND: frozenset({S.PAID, S.READY_FOR_PICKUP, S.SHIPPED, S.DELIVERED, S.COMPLETED}),
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
    category_ancestors: tuple[str, ...] = ()  # the categories above category_id, nearest first


@dataclass(frozen=True)
class PricedLine:
    """A SKU's line, or (sku_id and product_id None) an amount rung up at the counter without goods."""

    sku_id: str | None
    product_id: str | None
    category_id: str | None
    name: str
    qty: int
    unit_price_fen: int
    deposit_fen: int  # per unit
    list_price_fen: int | None = None  # the SKU's price when a member price made unit_price_fen lower
    flash_sale_id: str | None = None  # priced by this flash sale (秒杀); catalog admits it against the sale
    category_ancestors: tuple[str, ...] = ()  # the categories above category_id, nearest first

    @property
    def line_fen(self) -> int:
        return self.unit_price_fen * self.qty

    @property
    def categories(self) -> tuple[str, ...]:
        """The line's own category, then every one above it, nearest first (none: no category)."""
        return (self.category_id, *self.category_ancestors) if self.category_id is not None else ()


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
                                sku.price_fen, sku.deposit_fen, category_ancestors=sku.category_ancestors))
    if len(merchants) > 1:
        raise Refusal("mixed_merchants", "An order holds the goods of one merchant; split the cart",
                      status=422)
    return Priced(merchants.pop(), tuple(lines))


_NOT_IN_SUBJECT = re.compile(r"[/=&\x00-\x1f\x7f]")


COUNTER_AMOUNT_NAME = "到店消费"
WALK_IN = "walkin:"  # a counter sale's buyer until Alipay names a payer the mall knows: walkin:<order id>


def counter_amount(merchant_id: str, amount_fen: int) -> Priced:
    """An amount the clerk rings up without SKUs: one line of no goods (nothing is reserved or restocked)."""
    return Priced(merchant_id, (PricedLine(None, None, None, COUNTER_AMOUNT_NAME, 1, amount_fen, 0),))


def adopts_payer(order_user_id: str, payer_user_id: str) -> bool:
    """A counter sale's walk-in buyer becomes the payer payments recognised as one of the mall's buyers."""
    return order_user_id.startswith(WALK_IN) and not payer_user_id.startswith(WALK_IN)


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


def promotion_needed(coupon_id: str | None, points: int, group_buy: bool = False) -> PromotionState:
    """A coupon, points or a group-buy seat (marketing claims it and gives the group price) is waited for."""
    return "waiting" if coupon_id or points > 0 or group_buy else "none"


# --- group buying (拼团) ----------------------------------------------------------------------------
# marketing owns the groups; orders keeps, per order, the group and where it stands for the order.


def check_group_order(items: Sequence[tuple[str, int]], coupon_id: str | None, points: int) -> None:
    """A group-buy order is one unit of the deal's SKU, at the group price alone (no coupon, no points)."""
    if len(items) != 1 or items[0][1] != 1:
        raise Refusal("group_buy_one_item", "A group-buy order is one unit of the deal's SKU", 422)
    if coupon_id or points:
        raise Refusal("group_buy_no_promotion", "A group-buy order takes no coupon and no points", 422)


def check_not_held(group_state: str | None) -> None:
    """A group-buy order waits for its group: not shipped, handed over or refunded on request until then
    (a refund would leave a paid seat without its money)."""
    if group_state == "waiting":
        raise Refusal("group_buy_pending", "This order waits for its group to fill up")


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

RefundStatus = Literal["requested", "awaiting_return", "returning", "approved", "refunded", "rejected", "failed",
                       "closed"]
# A refund in one of these still holds its units (and its money): they cannot be refunded twice.
OPEN_REFUND = frozenset({"requested", "awaiting_return", "returning", "approved"})
LIVE_REFUND = OPEN_REFUND | {"refunded"}


@dataclass(frozen=True)
class RefundStart:
    status: RefundStatus  # approved: the money goes back now; requested: the merchant decides first
    shipped: bool  # the goods left the shop: freight stays paid, and unreturned units are not restocked


def refund_start(status: Status | str, completed_at: datetime | None, now: datetime, return_window: timedelta,
                 *, by_merchant: bool = False, with_return: bool = False) -> RefundStart:
    """Where a new refund starts. Before shipping the money goes back at once; once shipped (or received,
    within the return window) the merchant decides, because the goods may have to come back. A merchant
    refunding on their own has decided already."""
    status = Status(status)
    if status in (S.PENDING, S.AWAITING_PAYMENT, S.CANCELLED):
        raise Refusal("order_not_paid", "Only a paid order can be refunded")
    if status is S.REFUND_REQUESTED:
        raise Refusal("refund_pending", "A refund of the rest of this order is already under way")
    if status is S.REFUNDED:
        raise Refusal("nothing_to_refund", "Everything in this order has been refunded")
    if status in (S.PAID, S.READY_FOR_PICKUP):  # goods waiting at the store were never handed over
        if with_return:
            raise Refusal("nothing_to_return", "The goods have not left the shop: there is nothing to send back")
        return RefundStart("approved", shipped=False)
    if status is S.COMPLETED and not by_merchant and (completed_at is None or now > completed_at + return_window):
        raise Refusal("return_window_closed", "The return window of this order has closed")
    return RefundStart("approved" if by_merchant else "requested", shipped=True)


# What moves a refund on: the merchant, the buyer, the deadline of its waiting state, and payments' answer.
RefundAction = Literal["approve", "reject", "ship_return", "receive_return", "timeout", "refunded", "fail"]
_REFUND_MOVES: Mapping[tuple[str, str], str] = {
    ("requested", "reject"): "rejected",
    ("awaiting_return", "ship_return"): "returning",
    ("awaiting_return", "receive_return"): "approved",  # handed back at the counter, without a waybill
    ("returning", "receive_return"): "approved",
    ("awaiting_return", "timeout"): "closed",  # the buyer never sent the goods back
    ("returning", "timeout"): "approved",  # the merchant never confirmed receipt: taken as received
    ("approved", "refunded"): "refunded",
    ("approved", "fail"): "failed",
}
# Why a deadline moved a refund, shown with it.
TIMEOUT_REASONS: Mapping[str, str] = {"requested": "merchant_did_not_answer",
                                      "awaiting_return": "return_not_shipped",
                                      "returning": "merchant_did_not_confirm_receipt"}


def refund_move(status: str, action: RefundAction, *, with_return: bool) -> RefundStatus:
    """A refund's next status, or `invalid_refund_transition` (409). Approving (by the merchant or by their
    silence) waits for the goods first when they have to come back."""
    if status == "requested" and action in ("approve", "timeout"):
        return "awaiting_return" if with_return else "approved"
    if (status, action) in _REFUND_MOVES:
        return cast(RefundStatus, _REFUND_MOVES[(status, action)])
    raise Refusal("invalid_refund_transition", f"A refund that is {status} cannot {action.replace('_', ' ')}")


@dataclass(frozen=True)
class RefundWaits:
    """How long each waiting state of a refund lasts before its deadline decides (MALL_REFUND_*_SECONDS)."""

    merchant_answer: timedelta = timedelta(days=2)
    buyer_return: timedelta = timedelta(days=7)
    merchant_receipt: timedelta = timedelta(days=10)

    def due(self, status: str, now: datetime) -> datetime | None:
        wait = {"requested": self.merchant_answer, "awaiting_return": self.buyer_return,
                "returning": self.merchant_receipt}.get(status)
        return None if wait is None else now + wait


def refund_waits_for(status: str) -> bool:
    """A waiting state has a deadline (the merchant's answer, the buyer's return, the merchant's receipt)."""
    return status in TIMEOUT_REASONS


# --- what a refund is worth -------------------------------------------------------------------------
# The buyer paid for goods with money (Alipay, Huabei, balance or a pay-later bill) and points, after an
# order-level coupon. Each line's share of the coupon and of the points follows its value (largest
# remainder, ties to the earlier line, so the same order always splits the same way); a unit of a line is
# worth its line's share divided by its quantity, the last unit taking what division left. Freight goes
# back only with the last units of an order never shipped.


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights`: each part rounded down, then one more fen to the parts with
    the largest remainders (the earlier first on a tie). The parts add up to `total`, and none is more than
    its exact share rounded up."""
    whole = sum(weights)
    if whole <= 0 or total <= 0:
        if total > 0:
            raise ValueError("nothing to share a positive amount over")
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class LineShare:
    """What one line cost the buyer: money and points (the coupon's part is neither, so it is not refunded)."""

    line_no: int
    qty: int
    cash_fen: int
    points_fen: int


def line_shares(lines: Sequence[tuple[int, int, int]], discount_fen: int, points_fen: int) -> list[LineShare]:
    """`lines` = (line_no, qty, line_fen). Points are shared by value first, then the coupon over what the
    points left of each line, so no line's share of both is more than the line itself."""
    values = [value for _, _, value in lines]
    points = largest_remainder(points_fen, values)
    discount = largest_remainder(discount_fen, [v - p for v, p in zip(values, points, strict=True)])
    return [LineShare(no, qty, value - p - d, p)
            for (no, qty, value), p, d in zip(lines, points, discount, strict=True)]


@dataclass(frozen=True)
class Held:
    """What the live refunds (open or done) of one line hold: units, money and points."""

    qty: int = 0
    cash_fen: int = 0
    points_fen: int = 0


@dataclass(frozen=True)
class RefundPart:
    line_no: int
    qty: int
    cash_fen: int
    points_fen: int


@dataclass(frozen=True)
class RefundAmounts:
    parts: tuple[RefundPart, ...]
    freight_fen: int
    closes_order: bool  # takes the order's last units: the order itself is then being refunded

    @property
    def cash_fen(self) -> int:
        """The money back through the payment's leg (Alipay/Huabei trade, balance, pay-later bill)."""
        return sum(p.cash_fen for p in self.parts) + self.freight_fen

    @property
    def points_fen(self) -> int:
        """Spent points given back as points (1 point = 1 fen)."""
        return sum(p.points_fen for p in self.parts)


def refund_amounts(shares: Sequence[LineShare], held: Mapping[int, Held], asked: Mapping[int, int] | None,
                   freight_left_fen: int, shipped: bool) -> RefundAmounts:
    """What refunding `asked` (line_no -> units; None: every unit still refundable) is worth.

    Cumulative, so that any sequence of refunds adds up to what was paid and never more: the units of a line
    after this refund are worth `share × units ÷ qty` (rounded down; all of it once every unit is taken), and
    this refund gets that minus what the line's live refunds already hold (never below 0). A refund that was
    rejected or failed frees its units and its money for a later one. `freight_left_fen`: the freight no live
    refund holds (a refund of the last units that ended may have freed it for the next one)."""
    by_line = {s.line_no: s for s in shares}
    if asked is None:
        asked = {s.line_no: s.qty - held.get(s.line_no, Held()).qty for s in shares}
        asked = {no: qty for no, qty in asked.items() if qty > 0}
        if not asked:
            raise Refusal("nothing_to_refund", "Every unit of this order is refunded or being refunded")
    parts: list[RefundPart] = []
    for line_no, qty in asked.items():
        share, before = by_line.get(line_no), held.get(line_no, Held())
        if share is None:
            raise Refusal("line_not_in_order", "This order has no such line", 422)
        if qty < 1:
            raise Refusal("invalid_quantity", "Refund at least one unit of a line", 422)
        if before.qty + qty > share.qty:
            raise Refusal("refund_exceeds_units", f"Only {share.qty - before.qty} unit(s) of line {line_no} can "
                                                  "still be refunded")
        after = before.qty + qty
        parts.append(RefundPart(line_no, qty, max(share.cash_fen * after // share.qty - before.cash_fen, 0),
                                max(share.points_fen * after // share.qty - before.points_fen, 0)))
    taken = {p.line_no: p.qty for p in parts}
    closes = all(held.get(s.line_no, Held()).qty + taken.get(s.line_no, 0) == s.qty for s in shares)
    return RefundAmounts(tuple(sorted(parts, key=lambda p: p.line_no)),
                         freight_left_fen if closes and not shipped else 0, closes)


# Orders on their way to the buyer: they complete by themselves at their auto-confirm deadline.
AWAITING_RECEIPT = frozenset({S.SHIPPED, S.DELIVERED})


# --- member prices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRule:
    """A merchant's member price: from `level` up, on one SKU or every SKU of one category, a percentage off
    or a fixed unit price."""

    id: str
    level: int
    sku_id: str | None = None
    category_id: str | None = None
    percent_off: int | None = None
    price_fen: int | None = None


def rule_price(rule: MemberRule, list_price_fen: int) -> int:
    """The unit price under a rule: never above the list price, never below the 1-fen floor."""
    if rule.price_fen is not None:
        price = rule.price_fen
    else:
        assert rule.percent_off is not None
        price = (list_price_fen * (100 - rule.percent_off) + 50) // 100  # half up to the fen
    return max(min(price, list_price_fen), MIN_PAYABLE_FEN)


@dataclass(frozen=True)
class FlashSale:
    """The local copy of a flash sale (秒杀) as flash_sale.scheduled described it."""

    sale_id: str
    sku_id: str
    price_fen: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime


def with_flash_price(priced: Priced, sale: FlashSale | None, now: datetime) -> Priced:
    """A flash-sale order: its one line, the sale's SKU, at the sale price inside the window, at most the
    per-buyer limit (catalog counts the buyer's units across orders when it admits them)."""
    if sale is None:
        raise Refusal("flash_sale_not_found", "No such flash sale", 404)
    if len(priced.lines) != 1 or priced.lines[0].sku_id != sale.sku_id:
        raise Refusal("flash_sale_items", "A flash-sale order holds the sale's SKU only", 422)
    if now < sale.starts_at:
        raise Refusal("flash_sale_not_started", "The flash sale has not started yet",
                      starts_at=sale.starts_at.isoformat())
    if now >= sale.ends_at:
        raise Refusal("flash_sale_ended", "The flash sale is over")
    line = priced.lines[0]
    if line.qty > sale.per_buyer_limit:
        raise Refusal("flash_sale_limit", f"At most {sale.per_buyer_limit} per buyer",
                      per_buyer_limit=sale.per_buyer_limit)
    flash_line = replace(line, unit_price_fen=sale.price_fen, list_price_fen=line.unit_price_fen,
                         flash_sale_id=sale.sale_id)
    return replace(priced, lines=(flash_line,))


def member_rule_for(level: int, sku_id: str, categories: Sequence[str],
                    rules: Iterable[MemberRule]) -> MemberRule | None:
    """The rule a member of `level` gets on a SKU: the nearest target wins (the SKU's own rule, then its
    category's, then each category above, `categories` nearest first), and of the nearest target's rules the
    one of the highest level the member has reached."""
    reached = [r for r in rules if r.level <= level]
    for matches in ([r for r in reached if r.sku_id == sku_id],
                    *([r for r in reached if r.category_id == category] for category in categories)):
        if matches:
            return max(matches, key=lambda r: (r.level, r.id))
    return None


def with_member_prices(priced: Priced, level: int, rules: Sequence[MemberRule]) -> Priced:
    """Each line at the member price its buyer's level gives (if lower), keeping the list price beside it."""
    lines = []
    for line in priced.lines:
        if line.sku_id is None:  # an amount rung up at the counter: no goods, no member price
            lines.append(line)
            continue
        rule = member_rule_for(level, line.sku_id, line.categories, rules)
        price = rule_price(rule, line.unit_price_fen) if rule else line.unit_price_fen
        lines.append(replace(line, unit_price_fen=price, list_price_fen=line.unit_price_fen)
                     if price < line.unit_price_fen else line)
    return replace(priced, lines=tuple(lines))
