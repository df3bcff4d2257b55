"""Gateway configuration (env `MALL_*`)."""

import re
import secrets
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from shared.alipay.settings import AlipayAppSettings
from shared.objects import LocalObjectStore, ObjectStore, S3ObjectStore
from shared.settings import DEVELOPMENT

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console" / "dist"  # the console package's build
CLIENT_DIR = Path(__file__).resolve().parent.parent.parent / "client" / "dist" / "h5"


OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


def tile_origin(template: str) -> str:
    """The CSP source a tile URL template loads from: its scheme and host, `{s}` subdomains as a wildcard."""
    parts = urlsplit(template)
    host = parts.netloc.replace("{s}", "*")
    if parts.scheme not in ("http", "https") or not re.fullmatch(r"(\*\.)?[A-Za-z0-9.-]+(:\d+)?", host):
        raise ValueError(f"MALL_CONSOLE_MAP_TILES must be an http(s) URL template, not {template!r}")
    return f"{parts.scheme}://{host}"


class GatewaySettings(AlipayAppSettings):
    """The Alipay app settings (MALL_ALIPAY_*) serve login: `alipay.system.oauth.token` and the Sesame score."""

    service: str = "gateway"
    http_port: int = 8080
    # Client bodies are small JSON documents; anything bigger is refused with 413 before it is read.
    max_body_bytes: int = 64 * 1024

    # Each service's base URL, or the URLs of its replicas separated by commas (calls go round-robin, a
    # replica that cannot be reached is skipped: services.gateway.upstream).
    catalog_url: str = "http://127.0.0.1:8081"
    orders_url: str = "http://127.0.0.1:8082"
    payments_url: str = "http://127.0.0.1:8083"
    marketing_url: str = "http://127.0.0.1:8084"
    analytics_url: str = "http://127.0.0.1:8085"
    fulfilment_url: str = "http://127.0.0.1:8086"
    notifications_url: str = "http://127.0.0.1:8087"
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
    # How long a replica takes a user's session as live without reading it again (sessions.LiveSessions): a
    # revocation reaches the other replicas by PostgreSQL's announcement at once, this is the most one that
    # missed it can lag. 0: every request reads the database.
    session_memo_seconds: float = Field(default=1.0, ge=0, le=60)

    # How long POST /api/orders waits for the saga's decision before answering PENDING.
    order_wait_ms: int = 1500
    # How long a store charge may take at payments (its MALL_STORE_CHARGE_DEADLINE_S of queries, then the
    # cancel) before the gateway stops waiting for the answer.
    store_charge_wait_s: float = 25.0

    # Fixed-window rate limits (requests per window) per authenticated subject and per client IP.
    rate_window_seconds: int = 60
    rate_user_limit: int = 300
    rate_ip_limit: int = 600
    # Each replica counts in memory and adds its counts to PostgreSQL this often while requests come (the
    # replicas' shared totals lag by about two intervals: services/gateway/ratelimit.py).
    rate_sync_seconds: float = Field(default=0.2, gt=0, le=10)
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
    # /console/. The default is console/dist of the checkout (deploy/build-console.sh makes it; the image
    # has it at the same place); without a build there /console/ answers 404 `console_not_built`.
    console_dir: str = str(CONSOLE_DIR)
    # MALL_CONSOLE_MAP_TILES: the URL template of the map tiles the console's store picker draws ({z}/{x}/{y},
    # optionally {s} for a subdomain; WGS-84 / Web Mercator tiles, e.g. OpenStreetMap's). Its origin is added
    # to the console's Content-Security-Policy img-src. MALL_CONSOLE_MAP_ATTRIBUTION: the credit the tile
    # provider asks for, shown on the map (HTML).
    console_map_tiles: str = OSM_TILES
    console_map_attribution: str = OSM_ATTRIBUTION
    # MALL_CLIENT_DIR: the folder of the mini-program's H5 build (client/, `npm run build:h5`), served at /m/;
    # without its index.html there, /m/ answers 404 `client_not_built`.
    client_dir: str = str(CLIENT_DIR)
    # MALL_ALIPAY_WEB_URL: where the H5 build sends a buyer to authorise and to pay (`GET /api/client-config`):
    # the Alipay sandbox's pages in local runs and tests; empty elsewhere (the H5 build then cannot sign in).
    alipay_web_url: str = ""
    public_url: str = "http://127.0.0.1:8080"
    # Uploaded files (product images): MALL_OBJECT_STORE=local keeps them under MALL_OBJECT_DIR; s3 in the
    # bucket MALL_S3_BUCKET of any S3-compatible store (MALL_S3_ENDPOINT_URL empty: AWS itself), under
    # MALL_S3_PREFIX. Images are served by the gateway at /api/images/, or from MALL_IMAGE_BASE_URL (a CDN
    # or public bucket in front of the same objects) when set.
    object_store: Literal["local", "s3"] = "local"
    object_dir: str = "run/objects"
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_bucket: str = ""
    s3_prefix: str = "mpmall/"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    image_base_url: str = ""
    # One-time set-password links (staff invitations, a new merchant's first owner, operators) live this long.
    password_link_ttl_seconds: int = 72 * 3600

    @field_validator("console_map_tiles")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        tile_origin(value)  # refuses at start-up what no policy could name
        return value

    @model_validator(mode="after")
    def _development_key(self) -> Self:
        if not self.token_secret and self.env == DEVELOPMENT:
            self.token_secret = secrets.token_urlsafe(32)
        return self

    def secrets_in_use(self) -> dict[str, str]:
        used = {**super().secrets_in_use(), "MALL_TOKEN_SECRET": self.token_secret}
        if self.token_secret_previous:
            used["MALL_TOKEN_SECRET_PREVIOUS"] = self.token_secret_previous
        if self.object_store == "s3":
            used["MALL_S3_SECRET_ACCESS_KEY"] = self.s3_secret_access_key
        return used

    def objects(self) -> ObjectStore:
        """Where uploaded images are kept: MALL_OBJECT_STORE=local (a directory) or s3."""
        if self.object_store == "s3":
            return S3ObjectStore(endpoint_url=self.s3_endpoint_url, region=self.s3_region, bucket=self.s3_bucket,
                                 access_key_id=self.s3_access_key_id,
                                 secret_access_key=self.s3_secret_access_key, prefix=self.s3_prefix)
        return LocalObjectStore(self.object_dir)

    def base_urls(self) -> dict[str, list[str]]:
        """Every service's replicas' base URLs."""
        listed = {"catalog": self.catalog_url, "orders": self.orders_url, "payments": self.payments_url,
                  "marketing": self.marketing_url, "analytics": self.analytics_url,
                  "fulfilment": self.fulfilment_url, "notifications": self.notifications_url}
        return {name: [url.strip() for url in urls.split(",") if url.strip()] for name, urls in listed.items()}
