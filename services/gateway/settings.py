"""Gateway configuration (env `MALL_*`)."""

from pathlib import Path

from pydantic import Field

from shared.alipay.settings import AlipayAppSettings

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "analytics" / "console"


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

    # Signing key of access tokens. The default is for local development only.
    token_secret: str = "mpmall-local-dev-secret-change-me"
    token_ttl_seconds: int = 2 * 3600
    refresh_ttl_seconds: int = 30 * 24 * 3600
    staff_token_ttl_seconds: int = 8 * 3600

    # How long POST /api/orders waits for the saga's decision before answering PENDING.
    order_wait_ms: int = 1500

    # Fixed-window rate limits (requests per window) per authenticated subject and per client IP.
    rate_window_seconds: int = 60
    rate_user_limit: int = 300
    rate_ip_limit: int = 600
    # Behind a trusted proxy the client address is the first X-Forwarded-For hop.
    trust_forwarded_for: bool = False

    cors_origins: list[str] = Field(default_factory=lambda: [
        "http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:5173", "http://127.0.0.1:5173",
        "http://localhost:8080", "http://127.0.0.1:8080"])
    console_dir: str = str(CONSOLE_DIR)
    public_url: str = "http://127.0.0.1:8080"

    def base_urls(self) -> dict[str, str]:
        return {"catalog": self.catalog_url, "orders": self.orders_url, "payments": self.payments_url,
                "marketing": self.marketing_url, "analytics": self.analytics_url,
                "fulfilment": self.fulfilment_url}
