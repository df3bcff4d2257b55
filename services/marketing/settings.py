import secrets
from typing import Self

from pydantic import Field, model_validator

from shared.alipay.settings import AlipayAppSettings
from shared.settings import DEVELOPMENT


class MarketingSettings(AlipayAppSettings):
    service: str = "marketing"
    http_port: int = 8084
    # HMAC key of store claim codes (MALL_QR_SECRET; required outside development, where an empty one becomes a
    # random key per process). To rotate, move the old key to MALL_QR_SECRET_PREVIOUS: codes printed under it
    # still claim until they expire or it is removed; new codes are signed with MALL_QR_SECRET.
    qr_secret: str = ""
    qr_secret_previous: str = ""
    store_code_ttl_minutes: int = 60 * 24 * 30
    points_per_yuan: int = 1
    # Points earned on an order stay pending this long after it completes (no-reason return window, keep it
    # at least MALL_RETURN_WINDOW_SECONDS of orders), so they can't be spent and kept through a refund.
    points_release_days: int = Field(default=7, ge=0)
    points_release_seconds: float = 60.0  # how often the release job looks for due points
    level_window_days: int = 365
    level_refresh_seconds: float = 3600.0  # how often levels whose spend left the window are lowered
    # Net spend at one merchant (fen) for levels 2, 3, 4, ...; level 1 is everyone.
    level_thresholds_fen: list[int] = Field(default_factory=lambda: [50_000, 200_000, 1_000_000])
    nearby_max_radius_m: int = 50_000
    group_buy_poll_seconds: float = 1.0  # how often the deadline job looks for group-buy groups past their time
    # Member cards in Alipay's card package (卡包): how often opened and changed cards are pushed to Alipay, and
    # the mini-program page a card opens the mall at (entry member_card).
    card_sync_seconds: float = 10.0
    # Merchant vouchers (商家券): how often the reports owed to Alipay (send, use, refund) are pushed.
    voucher_sync_seconds: float = 10.0
    card_open_url: str = "alipays://platformapi/startapp?appId=2021000000000001&page=pages/store/index"

    @model_validator(mode="after")
    def _development_key(self) -> Self:
        if not self.qr_secret and self.env == DEVELOPMENT:
            self.qr_secret = secrets.token_urlsafe(32)
        return self

    def secrets_in_use(self) -> dict[str, str]:
        used = {**super().secrets_in_use(), "MALL_QR_SECRET": self.qr_secret}
        if self.qr_secret_previous:
            used["MALL_QR_SECRET_PREVIOUS"] = self.qr_secret_previous
        return used

    @property
    def qr_keys(self) -> list[str]:
        """Keys a claim code may be signed with: the current one first."""
        return [k for k in (self.qr_secret, self.qr_secret_previous) if k]
