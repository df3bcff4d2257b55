"""Gateway configuration (env `MALL_*`)."""

import secrets
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from shared.alipay.settings import AlipayAppSettings
from shared.settings import DEVELOPMENT

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console" / "dist"  # the console package's build


class GatewaySettings(AlipayAppSettings):
    """The Alipay app settings (MALL_ALIPAY_*) serve login: `alipay.system.oauth.token` and the Sesame score."""

    service: str = "gateway"
    http_port: int = 8080
    # Client bodies are small JSON documents; anything bigger is refused with 413 before it is read.
    max_body_bytes: int = 64 * 1024

    catalog_url: str = "http://127.0.0.1:8081"
    orders_url: str = "http://127.0.0.1:8082"
    payments_url: str = "http://127.0.0.1:8083"
    marketing_url: str = "http://127.0.0.1:8084"
    analytics_url: str = "http://127.0.0.1:8085"
    fulfilment_url: str = "http://127.0.0.1:8086"
    alipay_sandbox_url: str = "http://127.0.0.1:8090"
    upstream_timeout_seconds: float = 5.0

    # HS256 key that signs access tokens (MALL_TOKEN_SECRET; required outside development, where an empty one
    # becomes a random key per process). To rotate, move the old key to MALL_TOKEN_SECRET_PREVIOUS: tokens it
    # signed are still accepted until they expire (token_ttl_seconds), then drop it.
    token_secret: str = ""
    token_secret_previous: str = ""
    token_ttl_seconds: int = 2 * 3600
    refresh_ttl_seconds: int = 30 * 24 * 3600
    staff_token_ttl_seconds: int = 8 * 3600

    # How long POST /api/orders waits for the saga's decision before answering PENDING.
    order_wait_ms: int = 1500

    # Fixed-window rate limits (requests per window) per authenticated subject and per client IP.
    rate_window_seconds: int = 60
    rate_user_limit: int = 300
    rate_ip_limit: int = 600
    # Behind a trusted proxy the client address is the LAST X-Forwarded-For entry: the one that proxy
    # appended. Earlier entries are whatever the client sent and must never be trusted.
    trust_forwarded_for: bool = False

    # Password guessing: after `login_account_failures` wrong passwords for one staff account, or
    # `login_ip_failures` failures from one address (wrong passwords on any account, 401 answers), logins
    # (and, for an address, every API call) are refused with 429 for `login_lock_seconds`, doubling with each
    # further failure up to `login_lock_max_seconds`. Counts are forgotten after `login_failure_window_seconds`
    # without failures (measured from the end of the last lock-out).
    login_account_failures: int = 5
    login_ip_failures: int = 30
    login_lock_seconds: int = 60
    login_lock_max_seconds: int = 3600
    login_failure_window_seconds: int = 900

    # Origins allowed to call the API from a browser (CORS). None unless configured: the console is served
    # by the gateway itself (same origin). Development: e.g. MALL_CORS_ORIGINS='["http://localhost:5173"]'.
    cors_origins: list[str] = Field(default_factory=list)
    # MALL_CONSOLE_DIR: the folder of the merchant console's build (index.html and assets/), served at
    # /console/. The default is console/dist of the checkout (deploy/console-build.sh makes it; the image
    # has it at the same place); without a build there /console/ answers 404 `console_not_built`.
    console_dir: str = str(CONSOLE_DIR)
    public_url: str = "http://127.0.0.1:8080"

    @model_validator(mode="after")
    def _development_key(self) -> Self:
        if not self.token_secret and self.env == DEVELOPMENT:
            self.token_secret = secrets.token_urlsafe(32)
        return self

    def secrets_in_use(self) -> dict[str, str]:
        used = {**super().secrets_in_use(), "MALL_TOKEN_SECRET": self.token_secret}
        if self.token_secret_previous:
            used["MALL_TOKEN_SECRET_PREVIOUS"] = self.token_secret_previous
        return used

    def base_urls(self) -> dict[str, str]:
        return {"catalog": self.catalog_url, "orders": self.orders_url, "payments": self.payments_url,
                "marketing": self.marketing_url, "analytics": self.analytics_url,
                "fulfilment": self.fulfilment_url}
