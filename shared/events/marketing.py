"""Events published by the marketing service."""

from shared.events.base import EventData, event
from shared.events.common import Fen


@event("coupon.claimed")
class CouponClaimed(EventData):
    coupon_id: str
    template_id: str
    campaign_id: str
    user_id: str
    merchant_id: str | None = None


@event("promotion.locked")
class PromotionLocked(EventData):
    order_id: str
    user_id: str
    coupon_id: str | None = None
    discount_fen: Fen  # off the goods
    points: int = 0
    points_fen: Fen = 0
    freight_off_fen: Fen = 0  # freight a free-shipping coupon waives (orders takes it off the payable)


@event("promotion.rejected")
class PromotionRejected(EventData):
    order_id: str
    user_id: str
    reason: str  # coupon_not_found, coupon_expired, coupon_in_use, coupon_not_applicable, points_insufficient
    coupon_id: str | None = None


@event("coupon.redeemed")
class CouponRedeemed(EventData):
    coupon_id: str
    template_id: str
    campaign_id: str
    order_id: str
    user_id: str
    merchant_id: str | None = None
    discount_fen: Fen  # what the coupon cost the merchant


@event("coupon.released")
class CouponReleased(EventData):
    coupon_id: str
    order_id: str
    user_id: str


@event("points.earned")
class PointsEarned(EventData):
    """Points earned by a payment: pending (not spendable) until `points.released` for the same order."""

    user_id: str
    order_id: str
    merchant_id: str | None = None
    points: int


@event("points.released")
class PointsReleased(EventData):
    """An order's pending points became spendable (its return window closed); what refunds cancelled
    before is not in `points`; `repaid` of them paid a debt left by a late refund."""

    user_id: str
    order_id: str
    merchant_id: str | None = None
    points: int
    repaid: int = 0


@event("member.level_changed")
class MemberLevelChanged(EventData):
    user_id: str
    merchant_id: str
    old_level: int
    new_level: int


@event("group_buy.succeeded")
class GroupBuySucceeded(EventData):
    """A group-buy group filled with paid members: their orders (held until now) go on to fulfilment."""

    group_id: str
    deal_id: str
    merchant_id: str
    order_ids: list[str]


@event("group_buy.failed")
class GroupBuyFailed(EventData):
    """A group-buy group reached its deadline short of members: every order holding a seat (paid or not) is
    refunded or cancelled by orders."""

    group_id: str
    deal_id: str
    merchant_id: str
    order_ids: list[str]
    reason: str = "group_buy_expired"
