"""Configuration of payments (`MALL_*`). Alipay keys are PEM text or files, never code."""

from pydantic import Field, field_validator

from services.payments.domain import Rules
from services.payments.domain.credit import TIERS
from shared.alipay.settings import AlipayAppSettings


class PaymentsSettings(AlipayAppSettings):
    service: str = "payments"
    http_port: int = 8083
    alipay_notify_url: str = "http://127.0.0.1:8080/api/alipay/notify"
    alipay_seller_id: str = ""  # when set, notifies must name this seller
    trade_timeout_express: str = "30m"  # within the orders pay-by window (notes §11)
    # Huabei: buyer fee for the whole term in basis points (unconfirmed public rates, so configuration)
    huabei_rates_bp: dict[int, int] = Field(default_factory=lambda: {3: 230, 6: 450, 12: 750})
    huabei_min_fen: int = 10_000
    pay_later_min_score: int = 650
    pay_later_days: int = 30
    # Pay-later credit limit per Sesame tier (unpaid bills count against it); a tier not listed gets none.
    pay_later_limits_fen: dict[str, int] = Field(default_factory=lambda: {
        "poor": 0, "fair": 50_000, "good": 100_000, "very_good": 200_000, "excellent": 500_000})
    pay_later_remind_days: int = 3  # bill.due_soon this long before a bill falls due
    bill_job_interval_s: float = 300.0
    deposit_waiver_min_score: int = 650
    # (minimum top-up, bonus) in fen: top up 100 get 10, top up 500 get 80
    top_up_bonus: list[tuple[int, int]] = Field(default_factory=lambda: [(10_000, 1_000), (50_000, 8_000)])
    top_up_max_fen: int = 5_000_000
    reconcile_interval_s: float = 60.0  # the first round runs at start-up
    reconcile_after_s: float = 30.0  # a trade still waiting this long is queried (again after as long)
    reconcile_batch: int = Field(default=500, ge=1)  # trades claimed at once
    reconcile_concurrency: int = Field(default=16, ge=1)  # alipay.trade.query calls in flight
    reconcile_max_batches: int = Field(default=40, ge=1)  # per round: 20,000 trades with the defaults
    payment_check_interval_s: float = 3.0  # the buyer's check queries Alipay at most this often per order
    payment_check_timeout_s: float = 3.0  # the check waits this long for Alipay, then answers what it knows
    # A pay request for an order whose order.confirmed has not arrived yet waits this long for it before
    # answering 409 order_not_ready (the gateway's MALL_ORDER_WAIT_MS, same variable).
    order_wait_ms: int = Field(default=1500, ge=0, le=60_000)

    # Store checkout (当面付/刷脸付): an unknown outcome is queried every poll interval until the deadline,
    # then cancelled. Reconciliation leaves the trade alone until then (its checked_at is set past the deadline).
    store_charge_poll_s: float = Field(default=2.0, gt=0)
    store_charge_deadline_s: float = Field(default=20.0, gt=0)
    # Sesame deposit-free (芝麻信用免押): the rental category and the Sesame service id the app signed for.
    sesame_deposit_category: str = "RENT_DIGITAL"
    sesame_deposit_service_id: str = "sandbox-service"
    # A freeze order string is good this long (its timeout_express); asked again later, the buyer gets a new
    # request. A rental whose freeze is not confirmed within deposit_auth_minutes of the first request is closed.
    deposit_auth_order_minutes: int = Field(default=15, ge=5, le=1440)
    deposit_auth_minutes: int = Field(default=30, ge=5)

    @field_validator("pay_later_limits_fen")
    @classmethod
    def known_tiers(cls, limits: dict[str, int]) -> dict[str, int]:
        unknown = set(limits) - set(TIERS)
        if unknown or any(v < 0 for v in limits.values()):
            raise ValueError(f"pay_later_limits_fen: tiers are {TIERS}, limits fen >= 0 (got {limits})")
        return limits

    @property
    def rules(self) -> Rules:
        return Rules(huabei_rates_bp=dict(self.huabei_rates_bp), huabei_min_fen=self.huabei_min_fen,
                     pay_later_min_score=self.pay_later_min_score,
                     deposit_waiver_min_score=self.deposit_waiver_min_score,
                     top_up_bonus=list(self.top_up_bonus), top_up_max_fen=self.top_up_max_fen)
