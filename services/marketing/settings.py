from pydantic import Field

from shared.settings import ServiceSettings


class MarketingSettings(ServiceSettings):
    service: str = "marketing"
    http_port: int = 8084
    # HMAC key of store claim codes (MALL_QR_SECRET); rotate by restarting with a new one (old codes die).
    qr_secret: str = "dev-only-store-code-secret"
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
