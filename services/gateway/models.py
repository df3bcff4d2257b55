"""Models of the public contract: request bodies (strict) and answers (open: services may add fields)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.http import StrictModel

# What the services generate for ids (uuids, prefixed ids); checked here so nothing else reaches them.
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
RefId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
# Free text without NUL (PostgreSQL text cannot hold it) and without other control characters. Models strip
# surrounding whitespace before checking, so the pattern (which the OpenAPI document shows) allows it there.
TEXT_PATTERN = r"^[\t\n\v\f\r ]*[^\x00-\x1f\x7f]*[\t\n\v\f\r ]*$"


def text(max_length: int, min_length: int = 1) -> Any:
    return Field(min_length=min_length, max_length=max_length, pattern=TEXT_PATTERN)


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would also read "0" or "1700000000" as a Unix time."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]  # a calendar day in a query: the shop's day


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ProblemDoc(Answer):
    type: str | None = None
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None


# --- session ------------------------------------------------------------------------------------------

class LoginBody(StrictModel):
    auth_code: str = text(256)
    nickname: str | None = Field(default=None, max_length=64, pattern=TEXT_PATTERN)


class RefreshBody(StrictModel):
    refresh_token: str = text(256)


class UserOut(Answer):
    id: str
    nickname: str


class SessionOut(Answer):
    token: str
    refresh_token: str
    expires_in: int
    user: UserOut


class MeOut(Answer):
    user: UserOut
    level: int | None
    points: int | None
    balance_fen: int | None
    credit_tier: Literal["poor", "fair", "good", "very_good", "excellent"] | None


class ClientConfigOut(Answer):
    alipay_web_url: str | None


class StaffLoginBody(StrictModel):
    username: str = text(64)
    password: str = text(256)


class StaffSessionOut(Answer):
    token: str
    merchant_id: str
    expires_in: int


# --- browse -------------------------------------------------------------------------------------------

class ProductCard(Answer):
    id: str
    name: str
    price_fen: int


class HomeOut(Answer):
    categories: list[Any]
    recommended: list[ProductCard]
    nearby_coupons: list[Any]
    # {id, kind, title, image, target_kind (product|category|campaign|page), target, starts_at, ends_at, ...};
    # a collection also has `products` (cards).
    banners: list[dict[str, Any]] = Field(default_factory=list)
    collections: list[dict[str, Any]] = Field(default_factory=list)
    # Flash sales (秒杀) running or upcoming: {id, sku_id, product_id, name, image, price_fen, list_price_fen,
    # quantity, remaining, per_buyer_limit, starts_at, ends_at, state (upcoming|running|sold_out)}.
    flash_sales: list[dict[str, Any]] = Field(default_factory=list)


class Items(Answer):
    items: list[Any]


class MerchantOrdersOut(Answer):
    items: list[Any]
    total: int  # exact up to 10,000 matching orders, PostgreSQL's estimate above
    total_exact: bool


class ProductPageOut(Answer):
    items: list[ProductCard]
    total: int


class SearchOut(ProductPageOut):
    total: int  # exact when total_exact; else more than this many match (catalog's MALL_SEARCH_COUNT_CAP)
    total_exact: bool


class SuggestOut(Answer):
    suggestions: list[str]


class SkuOut(Answer):
    id: str
    price_fen: int


class ProductOut(Answer):
    id: str
    name: str
    merchant_id: str
    skus: list[SkuOut]


class StoreOut(Answer):
    id: str
    name: str


class FavoritesOut(Answer):
    products: list[Any]
    stores: list[Any]


class ScanBody(StrictModel):
    code: str = text(2048)


class ScanOut(Answer):
    kind: Literal["product", "store_coupon", "page", "unknown"]
    target: dict[str, Any]


# --- buy ----------------------------------------------------------------------------------------------

class ItemIn(StrictModel):
    sku_id: RefId
    qty: int = Field(ge=1, le=99)


class DeliveryChoice(StrictModel):
    """Express to one of the buyer's addresses, or pickup at one of the merchant's stores."""

    method: Literal["express", "pickup"]
    address_id: RefId | None = None
    store_id: RefId | None = None


class GroupBuyChoice(StrictModel):
    """A group-buy (拼团) order: open a group of deal `deal_id`, or join the shared group `group_id`."""

    deal_id: RefId | None = None
    group_id: RefId | None = None

    @model_validator(mode="after")
    def one_of(self) -> GroupBuyChoice:
        if (self.deal_id is None) == (self.group_id is None):
            raise ValueError("name either deal_id (open a group) or group_id (join one)")
        return self


class PreviewBody(StrictModel):
    items: list[ItemIn] = Field(min_length=1, max_length=50)
    coupon_id: RefId | None = None
    points: int | None = Field(default=None, ge=0, le=10_000_000)
    delivery: DeliveryChoice | None = None
    flash_sale_id: RefId | None = None  # buy the sale's SKU at its flash-sale (秒杀) price, inside its window
    group_buy: GroupBuyChoice | None = None  # open or join a group (拼团): priced at the group's price


class PreviewOut(Answer):
    subtotal_fen: int
    discount_fen: int
    points_fen: int
    payable_fen: int  # goods after coupon and points, plus freight less what a free-shipping coupon waives
    usable_coupons: list[Any]
    freight_fen: int = 0
    freight_off_fen: int = 0
    delivery_options: list[dict[str, Any]] = Field(default_factory=list)
    member_saving_fen: int = 0  # what the buyer's member prices take off the lines' list prices (in subtotal)
    flash_saving_fen: int = 0  # what a flash sale's price takes off its SKU's list price (in subtotal)


class OrderBody(PreviewBody):
    entry: Literal["search", "scan", "favorites", "member_card", "payment_success", "nearby", "home",
                   "other"] | None = None


OrderStatus = Literal["PENDING", "AWAITING_PAYMENT", "PAID", "READY_FOR_PICKUP", "SHIPPED", "DELIVERED",
                      "COMPLETED", "CANCELLED", "REFUND_REQUESTED", "REFUNDED"]


class PlacedOut(Answer):
    id: str
    status: OrderStatus
    payable_fen: int | None = None
    reason: str | None = None  # why a CANCELLED order was refused: out_of_stock, group_full, already_in_group, ...
    group_buy: dict[str, Any] | None = None  # {group_id (share it), state}


class GroupBuyOut(Answer):
    """A group-buy group as any signed-in holder of its id sees it: members masked, never a user id."""

    id: str
    status: str
    size: int
    seats_left: int
    seconds_left: int
    members: list[dict[str, Any]]


class OrderOut(Answer):
    id: str
    status: OrderStatus


class PayBody(StrictModel):
    """No `fee_payer`: who pays a Huabei fee is the merchant's setting, so a client that sends one gets 422."""

    method: Literal["alipay", "huabei", "balance", "pay_later"]
    installments: Literal[3, 6, 12] | None = None


class PayOut(Answer):
    payment_id: str
    status: str
    trade_no: str | None = None


class CheckOut(Answer):
    """The order's status as orders shows it after the check, and the payment payments knows (or null)."""

    status: OrderStatus
    payment: dict[str, Any] | None


class PlansOut(Answer):
    plans: list[Any]


class RefundLine(StrictModel):
    line_id: RefId  # an `id` of the order's `lines`
    qty: int = Field(ge=1, le=99)


class RefundBody(StrictModel):
    """Some units of some lines; without `lines`, every unit still refundable. `with_return`: the goods go back
    first (only once shipped)."""

    reason: str = text(200)
    lines: list[RefundLine] | None = Field(default=None, min_length=1, max_length=50)
    with_return: bool = False


class MerchantRefundBody(StrictModel):
    """The merchant refunds on their own: approved at once, no return."""

    reason: str = text(200)
    lines: list[RefundLine] | None = Field(default=None, min_length=1, max_length=50)


class RejectBody(StrictModel):
    reason: str = text(200)


class ReturnShipmentBody(StrictModel):
    """The waybill of the goods sent back: 快递100 company code and number."""

    carrier: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    tracking_no: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")


RefundStatus = Literal["requested", "awaiting_return", "returning", "approved", "refunded", "rejected", "failed",
                       "closed"]


class RefundOut(Answer):
    """`amount_fen`: money back through the payment (freight included when it goes back); `points_fen`: spent
    points back as points; `lines`: [{line_id, qty, amount_fen, points_fen}]."""

    id: str
    order_id: str
    status: RefundStatus
    amount_fen: int
    points_fen: int
    lines: list[dict[str, Any]]


# --- coupons and cards ----------------------------------------------------------------------------------

class CouponOut(Answer):
    id: str
    template_id: str
    status: str


class PayGiftOut(Answer):
    """The payment-success page's gift (支付有礼): offers to claim, or the coupon claimed for the order."""

    order_id: str
    claimed: dict[str, Any] | None = None
    offers: list[Any]
    jifenbao: dict[str, Any] | None = None  # the 集分宝 the order earns: {points, status offered|pending|sent}


class PayGiftClaimBody(StrictModel):
    template_id: RefId


class SharerOut(Answer):
    nickname: str | None = None


class GroupOut(Answer):
    """A share group names no user id: the sharer shows by nickname."""

    id: str
    sharer: SharerOut | None = None
    is_sharer: bool | None = None
    joined: int
    needed: int
    unlocked: bool


class PointsOut(Answer):
    balance: int  # spendable (released) points; points of orders that can still be refunded are in `pending`
    pending: int = 0
    entries: list[Any]


class CardOut(Answer):
    merchant_id: str
    level: int | None = None
    points: int | None = None
    balance_fen: int | None = None
    # What the level gives: the merchant's member prices up to it ({sku_id | category_id, level,
    # percent_off | price_fen}); the checkout preview and the order price with them.
    member_prices: list[dict[str, Any]] = Field(default_factory=list)


class Anything(Answer):
    """An answer the owning service defines (merchant APIs); documented in its API.md."""


class CartOut(Answer):
    items: list[Any]
    subtotal_fen: int
