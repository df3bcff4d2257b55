"""Events published by the catalog service."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import EventData, event
from shared.events.common import Fen


@event("sku.changed")
class SkuChanged(EventData):
    """The whole sellable state of a SKU, so a consumer can keep a local copy from the latest one."""

    sku_id: str
    product_id: str
    merchant_id: str
    category_id: str | None
    # the categories above category_id, nearest first (a member price on any of them covers the SKU)
    category_ancestors: list[str] = []
    name: str
    specs: dict[str, str]
    price_fen: Fen
    deposit_fen: Fen = 0
    sellable: bool
    revision: int  # grows with every change; a copy keeps the highest (events may arrive out of order)
    weight_g: int | None = None  # shipping weight in grams, when the merchant gave it (fulfilment's freight)


class ReservedLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku_id: str
    qty: int


@event("stock.reserved")
class StockReserved(EventData):
    order_id: str
    lines: list[ReservedLine]


@event("stock.rejected")
class StockRejected(EventData):
    order_id: str
    reason: Literal["out_of_stock", "price_changed", "unknown_sku", "purchase_limit", "flash_sale_not_started",
                    "flash_sale_ended", "flash_sale_sold_out", "flash_sale_limit", "flash_sale_unknown",
                    "flash_not_admitted"]
    sku_id: str | None = None


@event("store.changed")
class StoreChanged(EventData):
    """A physical store as other services need it (marketing finds coupons of nearby stores by it)."""

    store_id: str
    merchant_id: str
    name: str
    address: str
    lat: float
    lng: float
    active: bool = True


@event("review.written")
class ReviewWritten(EventData):
    """A buyer reviewed a line of a completed order (analytics keeps the rating trend)."""

    review_id: str
    order_id: str
    product_id: str
    merchant_id: str
    user_id: str
    rating: int
    with_images: bool = False


@event("review.visibility_changed")
class ReviewVisibilityChanged(EventData):
    """The merchant hid a review or showed it again (analytics counts only visible reviews in the trend)."""

    review_id: str
    merchant_id: str
    hidden: bool
    revision: int  # grows with every hide or show; a copy keeps the highest (events may arrive out of order)


@event("flash_sale.scheduled")
class FlashSaleScheduled(EventData):
    """A flash sale (秒杀) of one SKU: orders prices a line that names it at `price_fen` inside the window and
    refuses it outside; catalog admits buyers against `quantity` and the per-buyer limit."""

    sale_id: str
    merchant_id: str
    sku_id: str
    price_fen: Fen
    quantity: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime
