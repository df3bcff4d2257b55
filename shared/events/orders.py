"""Events published by the orders service."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.base import EventData, event
from shared.events.common import Fen, Line

# Where the buyer came from (Alipay `scene` mapped to our entry points); analytics reports by it.
Entry = Literal["search", "scan", "favorites", "member_card", "payment_success", "nearby", "home", "store_checkout",
               "other"]


class DeliveryAddress(BaseModel):
    """The address as it was when the order was placed (editing the address book later changes no order)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    region_code: str


class Delivery(BaseModel):
    """How the order reaches the buyer, as fulfilment quoted it: express to an address, or pickup at a store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["express", "pickup"]
    freight_fen: Fen = Field(default=0, ge=0)
    store_id: str | None = None
    address: DeliveryAddress | None = None


class GroupBuyRef(BaseModel):
    """A group-buy (拼团) order: it opens group `group_id` of deal `deal_id` (orders made the id), or joins
    group `group_id` (deal_id None). `nickname` is the buyer's, for the group page (marketing keeps it masked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_id: str
    deal_id: str | None = None
    nickname: str = ""


@event("order.placed")
class OrderPlaced(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    lines: list[Line]  # the goods: empty for an amount rung up at the counter without goods (到店消费)
    subtotal_fen: Fen
    coupon_id: str | None = None
    points: int = Field(default=0, ge=0)  # points the buyer wants to spend (100 points = 1 yuan)
    entry: Entry = "other"
    delivery: Delivery | None = None  # None: goods that need no delivery (or an order from before fulfilment)
    group_buy: GroupBuyRef | None = None  # a group-buy order: marketing claims its seat (promotion.*)

    @model_validator(mode="after")
    def goods_or_counter_amount(self) -> "OrderPlaced":
        if not self.lines and self.entry != "store_checkout":
            raise ValueError("an order has goods; only a counter sale may be an amount without them")
        return self


@event("order.confirmed")
class OrderConfirmed(EventData):
    """The saga's yes: stock and promotions are held; `payable_fen` is the only amount payments accepts."""

    order_id: str
    user_id: str
    merchant_id: str
    subject: str
    subtotal_fen: Fen
    discount_fen: Fen
    points_fen: Fen
    payable_fen: Fen
    deposit_fen: Fen = 0  # rental deposit to waive or hold, beside the price
    pay_by: datetime
    entry: Entry = "other"


@event("order.cancelled")
class OrderCancelled(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    reason: str  # out_of_stock, price_changed, unknown_sku, coupon_*, user_cancelled, payment_timeout, ...


@event("order.paid")
class OrderPaid(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    payable_fen: Fen
    method: str
    # A group-buy order paid while its group still waits for members: held until marketing's
    # group_buy.succeeded (fulfilment issues no pickup code before). Older events lack it: not held.
    group_held: bool = False
    # When the payment was made (Alipay's time, as payment.confirmed said): marketing's member levels count
    # paid orders by it. Older events lack it: their occurred_at stands in.
    paid_at: datetime | None = None
    # How the order is delivered, as it was placed ("none": goods that need no delivery): fulfilment and
    # notifications leave an order without delivery or pickup alone. Older events lack it: unknown (None).
    delivery_method: Literal["express", "pickup", "none"] | None = None


@event("order.shipped")
class OrderShipped(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    carrier: str | None = None  # 快递100 company code, checked by fulfilment before the gateway ships
    tracking_no: str | None = None


@event("order.delivered")
class OrderDelivered(EventData):
    """The carrier reported the parcel signed for (fulfilment's shipment.delivered): the auto-confirm
    countdown restarted from here."""

    order_id: str
    user_id: str
    merchant_id: str


@event("order.ready_for_pickup")
class OrderReadyForPickup(EventData):
    """A paid pickup order's goods wait at the store the buyer chose (fulfilment's pickup.ready): tell the
    buyer."""

    order_id: str
    user_id: str
    merchant_id: str
    store_id: str


@event("order.picked_up")
class OrderPickedUp(EventData):
    """Staff verified the buyer's pickup code at the store (fulfilment's pickup.verified); order.completed
    follows in the same transaction."""

    order_id: str
    user_id: str
    merchant_id: str
    store_id: str


@event("order.completed")
class OrderCompleted(EventData):
    order_id: str
    user_id: str
    merchant_id: str


@event("order.refund_requested")
class OrderRefundRequested(EventData):
    """The buyer asked for a refund that waits for the merchant's decision (after shipping): the merchant is
    alerted. A refund approved at once (before shipping) is `order.refund_approved` alone."""

    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str
    amount_fen: Fen
    reason: str


@event("order.refund_approved")
class OrderRefundApproved(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str  # also Alipay's out_request_no: the idempotency key of the refund
    amount_fen: Fen  # the money back through the payment's leg (freight included when it goes back)
    reason: str
    # A payment the order never kept (late, second, wrong amount) goes back: it bought nothing.
    unwanted: bool = False
    points_fen: Fen = 0  # spent points marketing gives back as points once the money is back
    # This refund takes the order's last units (a whole-order refund does): a pickup code closes, a held
    # deposit goes back. False for a partial refund (the order goes on).
    closes_order: bool = True


@event("order.return_received")
class OrderReturnReceived(EventData):
    """The merchant confirmed that a returned parcel is back (or a deadline took their silence for it): catalog
    puts its units back on sale now, whatever then becomes of the money."""

    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str
    lines: list[Line]  # the returned units (qty of each line the refund took)


@event("order.refunded")
class OrderRefunded(EventData):
    order_id: str
    user_id: str
    merchant_id: str
    refund_id: str
    amount_fen: Fen
    # The goods never left the shop: catalog puts them back on sale. Returned goods went back on sale at
    # order.return_received, so a refund after shipping says False.
    restock: bool
    lines: list[Line]  # the refunded units (qty of each line this refund took)
    points_fen: Fen = 0  # spent points given back as points (1 point = 1 fen)
    all_refunded: bool = True  # every unit of the order is now refunded: an unexpired coupon goes back
