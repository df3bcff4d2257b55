"""Configuration of the orders service (`MALL_*` environment variables)."""

from datetime import timedelta

from pydantic import Field

from services.orders.domain import RefundWaits
from shared.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service: str = "orders"
    http_port: int = 8082
    # Unpaid orders are cancelled this long after placement (Alipay mini-programs commonly use 30 min).
    pay_timeout_seconds: int = 1800
    # Orders one buyer may have PENDING or AWAITING_PAYMENT at once (MALL_MAX_UNPAID_ORDERS): each holds
    # stock for the pay-by window, so more are refused with 409 too_many_unpaid_orders.
    max_unpaid_orders: int = Field(default=5, ge=1)
    # Shipped orders complete on their own after this (the buyer did not confirm receipt).
    auto_confirm_seconds: int = 7 * 24 * 3600
    # 七日无理由退货: a completed order may ask for a refund this long after completion.
    return_window_seconds: int = 7 * 24 * 3600
    # A refund's waiting states end by themselves: the merchant says nothing about a request (approved), the
    # buyer never sends the goods back (closed), the merchant never confirms receiving them (received).
    refund_answer_seconds: int = Field(default=2 * 24 * 3600, ge=1)
    return_shipment_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    return_receipt_seconds: int = Field(default=10 * 24 * 3600, ge=1)
    deadline_poll_seconds: float = 1.0
    deadline_batch: int = 100
    # Upper bound of GET /orders/{id}?wait_ms= (the gateway waits ~1.5 s for the saga).
    max_wait_ms: int = 5000

    def refund_waits(self) -> RefundWaits:
        return RefundWaits(timedelta(seconds=self.refund_answer_seconds),
                           timedelta(seconds=self.return_shipment_seconds),
                           timedelta(seconds=self.return_receipt_seconds))
